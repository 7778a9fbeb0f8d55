/*
 * process: the process_* metrics every Prometheus client library exports, under the
 * same names, so that dashboards and alerts written for them work here: CPU seconds,
 * resident and virtual memory, open and maximum file descriptors, start time. Read
 * from /proc on each scrape; a file that cannot be read leaves its metrics out rather
 * than reporting a made-up value.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "daemon_int.h"

struct proc_stat {
	double utime, stime; /* ticks */
	double start;	     /* ticks after boot */
	double vsize, rss;   /* bytes, pages */
};

/* /proc/self/stat: the fields after the command's closing parenthesis (which may
 * itself contain spaces and parentheses). */
static int read_stat(struct proc_stat *ps)
{
	char line[1024], *p;
	FILE *f = fopen("/proc/self/stat", "re");
	size_t n = f ? fread(line, 1, sizeof(line) - 1, f) : 0;

	if (f)
		fclose(f);
	line[n] = '\0';
	if (!(p = strrchr(line, ')')))
		return -1;
	/* state(3) ... utime(14) stime(15) ... starttime(22) vsize(23) rss(24) */
	if (sscanf(p + 2,
		   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lf %lf %*d %*d %*d %*d %*d %*d "
		   "%lf %lf %lf",
		   &ps->utime, &ps->stime, &ps->start, &ps->vsize, &ps->rss) != 5)
		return -1;
	return 0;
}

/* The boot time from /proc/stat's btime line, seconds since the epoch. */
static double boot_time(void)
{
	char line[256];
	double bt = 0;
	FILE *f = fopen("/proc/stat", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %lf", &bt) == 1)
			break;
	if (f)
		fclose(f);
	return bt;
}

static long open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	long n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

static bool gauge(struct buf *out, const char *name, const char *type, const char *help, double v)
{
	return buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %.15g\n", name, help, name, type,
			  name, v) < 0;
}

int process_metrics_render(struct buf *out)
{
	double tick = (double)sysconf(_SC_CLK_TCK), page = (double)sysconf(_SC_PAGESIZE);
	struct proc_stat ps;
	struct rlimit rl;
	double bt = boot_time();
	long fds = open_fds();
	bool bad = false;

	if (read_stat(&ps) == 0 && tick > 0) {
		bad |= gauge(out, "process_cpu_seconds_total", "counter",
			     "Total user and system CPU time spent in seconds.",
			     (ps.utime + ps.stime) / tick);
		bad |= gauge(out, "process_resident_memory_bytes", "gauge",
			     "Resident memory size in bytes.", ps.rss * page);
		bad |= gauge(out, "process_virtual_memory_bytes", "gauge",
			     "Virtual memory size in bytes.", ps.vsize);
		if (bt > 0)
			bad |= gauge(out, "process_start_time_seconds", "gauge",
				     "Start time of the process since unix epoch in seconds.",
				     bt + ps.start / tick);
	}
	if (fds >= 0)
		bad |= gauge(out, "process_open_fds", "gauge", "Number of open file descriptors.",
			     (double)fds);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		bad |= gauge(out, "process_max_fds", "gauge",
			     "Maximum number of open file descriptors.", (double)rl.rlim_cur);
	return bad ? TE_NOMEM : 0;
}
