/*
 * jsonedit for kubesim: the agent's checked cJSON edits (agent/util/jsonedit.c,
 * include/jsonedit.h), compiled into kubesim as they are, so both programs insert
 * into arrays the same way around Debian cJSON 1.7.15's InsertItemInArray, and one
 * fix reaches both.
 */
#include "../../agent/util/jsonedit.c"
