/*
 * symbolic: many short-lived small objects (16-32 B nodes), in the style
 * of cfrac and espresso. Each round does three jobs that build linked
 * structures and throw them away:
 *   - big numbers as linked lists of base-10000 digits: Fibonacci numbers
 *     by repeated addition, then a schoolbook product (one list per
 *     partial product), and factorials by small multiplications;
 *   - expression trees: a random tree, its derivative twice, each
 *     simplified (nodes dropped and folded), evaluated modulo a prime;
 *   - polynomials as sorted lists of terms, multiplied term by term.
 * Prints the rounds and a checksum of the results.
 *   usage: bench_symbolic [SCALE]   (SCALE 1: about 1-2 s under glibc)
 */
#include "bench.h"

#define MOD 1000003u /* arithmetic on trees and polynomials stays exact */

/* ---- big numbers: least significant digit first -------------------- */

struct dig {
	uint32_t d;
	struct dig *next;
};

static struct dig *dnew(uint32_t d)
{
	struct dig *n = need(malloc(sizeof(*n)));
	n->d = d;
	n->next = NULL;
	return n;
}

static void dfree(struct dig *a)
{
	while (a) {
		struct dig *n = a->next;
		free(a);
		a = n;
	}
}

static struct dig *badd(const struct dig *a, const struct dig *b)
{
	struct dig *head = NULL, **tail = &head;
	uint32_t carry = 0;
	while (a || b || carry) {
		uint32_t v = carry + (a ? a->d : 0) + (b ? b->d : 0);
		*tail = dnew(v % 10000);
		tail = &(*tail)->next;
		carry = v / 10000;
		a = a ? a->next : NULL;
		b = b ? b->next : NULL;
	}
	return head;
}

/* a * k for k < 10000, shifted left by `shift` digits */
static struct dig *bmul_small(const struct dig *a, uint32_t k, int shift)
{
	struct dig *head = NULL, **tail = &head;
	for (int i = 0; i < shift; i++) {
		*tail = dnew(0);
		tail = &(*tail)->next;
	}
	uint32_t carry = 0;
	for (; a || carry; a = a ? a->next : NULL) {
		uint32_t v = carry + (a ? a->d * k : 0);
		*tail = dnew(v % 10000);
		tail = &(*tail)->next;
		carry = v / 10000;
	}
	return head;
}

static struct dig *bmul(const struct dig *a, const struct dig *b)
{
	struct dig *acc = NULL;
	int shift = 0;
	for (; b; b = b->next, shift++) {
		struct dig *part = bmul_small(a, b->d, shift);
		struct dig *sum = badd(acc, part);
		dfree(acc);
		dfree(part);
		acc = sum;
	}
	return acc;
}

static uint64_t bsum(const struct dig *a)
{
	uint64_t s = 0;
	for (; a; a = a->next)
		s = s * 31 + a->d;
	return s;
}

static uint64_t bignum_job(struct rng *r)
{
	struct dig *f0 = dnew(0), *f1 = dnew(1);
	int n = (int)rng_range(r, 200, 1200);
	for (int i = 0; i < n; i++) {
		struct dig *f2 = badd(f0, f1);
		dfree(f0);
		f0 = f1;
		f1 = f2;
	}
	struct dig *sq = bmul(f1, f0);
	uint64_t s = bsum(sq);
	dfree(sq);
	dfree(f0);
	dfree(f1);

	struct dig *fact = dnew(1);
	int k = (int)rng_range(r, 50, 250);
	for (int i = 2; i <= k; i++) {
		struct dig *m = bmul_small(fact, (uint32_t)i, 0);
		dfree(fact);
		fact = m;
	}
	s += bsum(fact);
	dfree(fact);
	return s;
}

/* ---- expression trees ------------------------------------------------ */

enum { NUM, VAR, ADD, SUB, MUL };

struct expr {
	int op;
	uint32_t v;
	struct expr *l, *r;
};

static struct expr *mk(int op, uint32_t v, struct expr *l, struct expr *r)
{
	struct expr *e = need(malloc(sizeof(*e)));
	e->op = op;
	e->v = v;
	e->l = l;
	e->r = r;
	return e;
}

static void efree(struct expr *e)
{
	if (!e)
		return;
	efree(e->l);
	efree(e->r);
	free(e);
}

static struct expr *build(struct rng *r, int depth)
{
	uint64_t x = rng_next(r);
	if (depth == 0 || x % 5 == 0)
		return x & 8 ? mk(VAR, 0, NULL, NULL) : mk(NUM, (uint32_t)(x >> 8) % 4, NULL, NULL);
	return mk(ADD + (int)((x >> 4) % 3), 0, build(r, depth - 1), build(r, depth - 1));
}

static struct expr *copy(const struct expr *e)
{
	return e ? mk(e->op, e->v, copy(e->l), copy(e->r)) : NULL;
}

static struct expr *deriv(const struct expr *e)
{
	switch (e->op) {
	case NUM:
		return mk(NUM, 0, NULL, NULL);
	case VAR:
		return mk(NUM, 1, NULL, NULL);
	case ADD:
	case SUB:
		return mk(e->op, 0, deriv(e->l), deriv(e->r));
	default: /* (uv)' = u'v + uv' */
		return mk(ADD, 0, mk(MUL, 0, deriv(e->l), copy(e->r)),
		          mk(MUL, 0, copy(e->l), deriv(e->r)));
	}
}

static int is_num(const struct expr *e, uint32_t v)
{
	return e->op == NUM && e->v == v;
}

/* Takes ownership of e; returns the simplified tree, freeing what it drops. */
static struct expr *simp(struct expr *e)
{
	if (e->op == NUM || e->op == VAR)
		return e;
	e->l = simp(e->l);
	e->r = simp(e->r);
	struct expr *keep = NULL;
	if (e->l->op == NUM && e->r->op == NUM) {
		uint64_t a = e->l->v, b = e->r->v;
		uint64_t v = e->op == ADD ? a + b : e->op == SUB ? a + MOD - b : a * b;
		keep = mk(NUM, (uint32_t)(v % MOD), NULL, NULL);
	} else if (e->op == MUL && (is_num(e->l, 0) || is_num(e->r, 0))) {
		keep = mk(NUM, 0, NULL, NULL);
	} else if ((e->op == ADD && is_num(e->l, 0)) || (e->op == MUL && is_num(e->l, 1))) {
		keep = e->r;
		e->r = NULL;
	} else if ((e->op != MUL && is_num(e->r, 0)) || (e->op == MUL && is_num(e->r, 1))) {
		keep = e->l;
		e->l = NULL;
	}
	if (!keep)
		return e;
	efree(e);
	return keep;
}

static uint64_t eval(const struct expr *e, uint64_t x)
{
	switch (e->op) {
	case NUM:
		return e->v;
	case VAR:
		return x;
	case ADD:
		return (eval(e->l, x) + eval(e->r, x)) % MOD;
	case SUB:
		return (eval(e->l, x) + MOD - eval(e->r, x)) % MOD;
	default:
		return eval(e->l, x) * eval(e->r, x) % MOD;
	}
}

static uint64_t expr_job(struct rng *r)
{
	struct expr *t = build(r, (int)rng_range(r, 6, 11));
	struct expr *d1 = simp(deriv(t));
	struct expr *d2 = simp(deriv(d1));
	uint64_t x = rng_next(r) % MOD;
	uint64_t s = eval(t, x) + 3 * eval(d1, x) + 7 * eval(d2, x);
	efree(t);
	efree(d1);
	efree(d2);
	return s;
}

/* ---- polynomials: terms sorted by falling exponent ---------------------- */

struct term {
	uint32_t coef;
	int exp;
	struct term *next;
};

static void tfree(struct term *t)
{
	while (t) {
		struct term *n = t->next;
		free(t);
		t = n;
	}
}

/* Adds c*x^e into the sorted list at *p (merging equal exponents). */
static void tadd(struct term **p, uint32_t c, int e)
{
	while (*p && (*p)->exp > e)
		p = &(*p)->next;
	if (*p && (*p)->exp == e) {
		(*p)->coef = (uint32_t)(((uint64_t)(*p)->coef + c) % MOD);
		if ((*p)->coef == 0) {
			struct term *dead = *p;
			*p = dead->next;
			free(dead);
		}
		return;
	}
	struct term *t = need(malloc(sizeof(*t)));
	t->coef = c;
	t->exp = e;
	t->next = *p;
	*p = t;
}

static struct term *prand(struct rng *r, int terms)
{
	struct term *p = NULL;
	for (int i = 0; i < terms; i++)
		tadd(&p, (uint32_t)rng_range(r, 1, MOD - 1), (int)rng_range(r, 0, 3 * terms));
	return p;
}

static uint64_t poly_job(struct rng *r)
{
	struct term *a = prand(r, (int)rng_range(r, 5, 60));
	struct term *b = prand(r, (int)rng_range(r, 5, 60));
	struct term *c = NULL;
	for (struct term *x = a; x; x = x->next)
		for (struct term *y = b; y; y = y->next)
			tadd(&c, (uint32_t)((uint64_t)x->coef * y->coef % MOD), x->exp + y->exp);
	uint64_t s = 0;
	for (struct term *t = c; t; t = t->next)
		s = s * 17 + t->coef + (uint64_t)t->exp;
	tfree(a);
	tfree(b);
	tfree(c);
	return s;
}

int main(int argc, char **argv)
{
	double scale = arg_double(argc, argv, 1, 1.0);
	long rounds = scaled(2600, scale, 10);
	struct rng r = rng_seed(3);
	uint64_t s = 0;
	for (long i = 0; i < rounds; i++) {
		s += bignum_job(&r);
		s += expr_job(&r);
		s += poly_job(&r);
	}
	printf("symbolic rounds=%ld checksum=%llu\n", rounds, (unsigned long long)s);
	return 0;
}
