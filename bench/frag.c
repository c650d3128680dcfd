/*
 * frag: fragmentation and footprint. Each round allocates a population of
 * mixed sizes (mostly small, some up to 64 KiB, a few up to 1 MiB) and
 * fills it, then frees 90% of everything live at random. The small sizes
 * move up from round to round, so the survivors of earlier rounds sit
 * among memory the new sizes cannot reuse unless the allocator coalesces
 * or returns it. Prints the peak and final resident set size (VmHWM and
 * VmRSS of /proc/self/status, KiB), measured with the last survivors live,
 * and the bytes they hold.
 *   usage: bench_frag [SCALE]       (SCALE 1: about 1-2 s under glibc)
 */
#include "bench.h"

#include <string.h>

#define ROUNDS 8

struct obj {
	unsigned char *p;
	size_t n;
};

static size_t pick_size(struct rng *r, int round)
{
	uint64_t x = rng_next(r) % 1000;
	if (x < 900) /* small sizes, shifted up by round */
		return rng_log_range(r, (size_t)16 << (round % 4), (size_t)1024 << (round % 4));
	if (x < 995)
		return rng_log_range(r, 1 << 10, 64 << 10);
	return rng_log_range(r, 64 << 10, 1 << 20);
}

static long status_kib(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	char line[256];
	long v = -1;
	size_t kl = strlen(key);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':')
			v = atol(line + kl + 1);
	fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	double scale = arg_double(argc, argv, 1, 1.0);
	long per_round = scaled(45000, scale, 1000);
	/* live never exceeds one round's population plus the survivors */
	long cap = 2 * per_round + 16;
	struct obj *live = need(malloc((size_t)cap * sizeof(*live)));
	long nlive = 0;
	struct rng r = rng_seed(13);
	uint64_t s = 0;
	for (int round = 0; round < ROUNDS; round++) {
		for (long k = 0; k < per_round; k++) {
			size_t n = pick_size(&r, round);
			unsigned char *p = need(malloc(n));
			memset(p, (int)(n & 0xff), n);
			live[nlive++] = (struct obj){p, n};
		}
		/* free 90% at random: shuffle the victims to the end */
		long victims = nlive - nlive / 10;
		for (long k = 0; k < victims; k++) {
			long i = (long)(rng_next(&r) % (uint64_t)(nlive - k));
			struct obj o = live[i];
			live[i] = live[nlive - k - 1];
			if (o.p[o.n - 1] != (unsigned char)(o.n & 0xff))
				abort();
			s += o.n + o.p[o.n / 2];
			free(o.p);
		}
		nlive -= victims;
	}
	size_t kept = 0;
	for (long i = 0; i < nlive; i++)
		kept += live[i].n;
	long hwm = status_kib("VmHWM"), rss = status_kib("VmRSS");
	for (long i = 0; i < nlive; i++)
		free(live[i].p);
	free(live);
	printf("frag rounds=%d live_kib=%zu peak_rss_kib=%ld final_rss_kib=%ld checksum=%llu\n",
	       ROUNDS, kept >> 10, hwm, rss, (unsigned long long)s);
	return 0;
}
