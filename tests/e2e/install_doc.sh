#!/usr/bin/env bash
# make install into a temporary prefix (and DESTDIR): the binary, tether(1) and the bash
# and zsh completion scripts; the man page renders and names every command and flag
# --help names; the completion scripts load and complete commands, flags and values.
. "$(dirname "$0")/lib.sh"

P=$T/prefix
check "make install PREFIX=... succeeds" make -s -C "$ROOT" BUILD="$BUILD" install PREFIX="$P"
check "the binary is installed and runs" "$P/bin/tether" version
check "tether(1) is installed" test -s "$P/share/man/man1/tether.1"
check "the bash completion is installed" test -s "$P/share/bash-completion/completions/tether"
check "the zsh completion is installed" test -s "$P/share/zsh/site-functions/_tether"
check "DESTDIR stages under its root" make -s -C "$ROOT" BUILD="$BUILD" install PREFIX=/usr DESTDIR="$T/stage"
check "DESTDIR holds bin/tether under the prefix" test -x "$T/stage/usr/bin/tether"
check "DESTDIR holds tether(1) under the prefix" test -s "$T/stage/usr/share/man/man1/tether.1"

MAN=$P/share/man/man1/tether.1
check_eq "the page starts with .TH TETHER 1" "$(head -1 "$MAN" | cut -d' ' -f1-3)" ".TH TETHER 1"
for s in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS "EXIT STATUS"; do
  check "the page has a $s section" grep -qx ".SH $s" "$MAN"
done
if command -v man >/dev/null; then
  MANWIDTH=200 man -l "$MAN" 2>"$T/man.err" | col -b >"$T/man.txt"
  check_eq "man -l renders it without warnings" "$(cat "$T/man.err")" ""
else
  groff -man -Tutf8 -ww -z "$MAN" 2>"$T/man.err"
  check_eq "groff reads it without warnings" "$(cat "$T/man.err")" ""
  groff -man -Tascii "$MAN" | col -b >"$T/man.txt"
fi
# The commands of `tether --help`, and each one's flags from its own --help.
"$TETHER" --help | awk '/^Commands:/{c=1;next} c&&/^  [a-z]/{print $1}' >"$T/commands"
check "tether --help lists commands" test "$(wc -l <"$T/commands")" -ge 9
missing=
while read -r c; do
  grep -q "^   tether $c\$" "$T/man.txt" || missing="$missing $c"
  for f in $("$TETHER" "$c" --help | grep -oE '^ +(-[a-z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+'); do
    # the flag appears in the man page under that command's section
    awk -v c="   tether $c" -v f="$f" '$0==c{s=1;next} /^   tether /{s=0} s&&index($0,f){found=1} END{exit !found}' \
      "$T/man.txt" || missing="$missing $c:$f"
  done
done <"$T/commands"
check_eq "every command and flag of --help is in the man page" "$missing" ""
check_contains "rollback's own flags are in its section" "$(cat "$T/man.txt")" "--to-revision"
check_contains "the option defaults are shown" "$(cat "$T/man.txt")" "(default 5m)"

BASHC=$P/share/bash-completion/completions/tether
check_eq "the bash script loads and registers tether" \
  "$(bash -c "source '$BASHC' && complete -p tether")" "complete -o filenames -F _tether tether"
# complete WORDS...: what the bash completion offers for the command line "WORDS" (the
# last word is the one being completed).
complete_bash() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _tether
           printf "%s\n" "${COMPREPLY[@]}"' _ "$BASHC" "$@" | sort | tr '\n' ' '
}
check_eq "bash completes every command of --help" "$(complete_bash tether '')" \
  "$( (cat "$T/commands"; echo help) | sort | tr '\n' ' ')"
check_eq "bash completes a command prefix" "$(complete_bash tether ro)" "rollback "
check_eq "bash completes sync's --pr flags" "$(complete_bash tether sync --pr)" "--progress --prune "
check_eq "bash completes -o values" "$(complete_bash tether diff -o '')" "json text yaml "
check_eq "bash completes --on-failure values" "$(complete_bash tether sync --on-failure '')" "hold none revert "
check_eq "bash offers status only its own flags" "$(complete_bash tether status --)" "--help --listen --output "
check_eq "bash completes the shells of completion" "$(complete_bash tether completion '')" "bash zsh "
mkdir -p "$T/files/sub" && touch "$T/files/tether.yaml"
check_eq "bash completes files for --config" "$(cd "$T/files" && complete_bash tether sync --config tet)" "tether.yaml "
check_eq "bash completes directories for --path" "$(cd "$T/files" && complete_bash tether sync --path '')" "sub "

ZSHC=$P/share/zsh/site-functions/_tether
if command -v zsh >/dev/null; then
  check "the zsh script parses" zsh -n "$ZSHC"
  check_eq "compinit registers _tether for tether" \
    "$(zsh -fc "fpath=('${ZSHC%/*}' \$fpath); autoload -Uz compinit; compinit -u -d '$T/zcompdump'; print \${_comps[tether]}")" _tether
  # The completion functions it calls, replaced by ones that print their arguments.
  zsh_calls() {
    zsh -fc 'compdef() { :; }; _describe() { print -l -- ${(P)${@[-1]}}; }
             _arguments() { print -l -- "$@"; }; _values() { print -l -- "$@"; }
             source "$1"; shift; words=("$@"); CURRENT=$#; _tether' _ "$ZSHC" "$@"
  }
  zsh_calls tether '' >"$T/zsh.commands"
  check_eq "zsh describes every command of --help" \
    "$(cut -d: -f1 "$T/zsh.commands" | sort | tr '\n' ' ')" "$(sort "$T/commands" | tr '\n' ' ')"
  check_contains "zsh gives sync's --prune" "$(zsh_calls tether sync '')" "--prune[delete objects"
  check_contains "zsh completes -o values" "$(zsh_calls tether sync '')" ":FORMAT:(text json yaml)"
  check_fail "zsh offers status no --repo" grep -q -- '--repo' <(zsh_calls tether status '')
else
  ok "# SKIP zsh is not installed: the zsh script was not loaded"
fi

check_exit "tether completion fish is a usage error" 2 "$TETHER" completion fish
check_contains "tether completion --help documents the shells" "$("$TETHER" completion --help)" "bash|zsh"
finish
