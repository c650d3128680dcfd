/*
 * Use after free through a dangling object with a function pointer: the
 * program frees an object but keeps calling through it. The attacker then
 * allocates objects of the same size and fills them with the address of
 * their own function, hoping one lands where the dangling object was; the
 * program calls through the dangling pointer after each allocation. Within
 * 1000 same-size allocations the dangling handler must never be the
 * attacker's.
 *
 * EXPECT: defend
 *
 * Deterministic under bastion: the freed chunk is wiped (its handler reads
 * as NULL, and the program does not call a NULL handler) and cannot be
 * handed out again within 1000 allocations (quarantine ring, drain batch,
 * shared FIFO). If the object was a sampled guarded allocation, reading the
 * freed page faults: the dangling call cannot run the attacker's code
 * either, which the program also counts as defended.
 */
#define _GNU_SOURCE
#include "attack.h"

#include <setjmp.h>
#include <signal.h>

#define SPRAY 1000

struct object {
	void (*handler)(struct object *);
	uint64_t data[7];
};

static void benign(struct object *o)
{
	o->data[0]++;
}

static void evil(struct object *o)
{
	(void)o;
	attack_won("called the attacker's function through a dangling object");
}

static sigjmp_buf fault_env;

static void on_fault(int sig)
{
	(void)sig;
	siglongjmp(fault_env, 1);
}

int main(void)
{
	struct object *o = escape(malloc(sizeof(*o)));
	if (!o)
		return 2;
	memset(o, 0, sizeof(*o));
	o->handler = benign;
	struct object *volatile dangling = escape(o);
	free(o);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	if (sigsetjmp(fault_env, 1) != 0)
		defended("the dangling object faulted: it cannot be hijacked");

	static struct object *spray[SPRAY];
	for (int i = 0; i < SPRAY; i++) {
		struct object *a = escape(malloc(sizeof(*a)));
		if (!a)
			return 2;
		a->handler = evil;
		for (int k = 0; k < 7; k++)
			a->data[k] = 0x4141414141414141ull;
		spray[i] = a;
		/* The program uses its dangling object again. */
		void (*volatile h)(struct object *) = dangling->handler;
		if (h == evil)
			h(dangling);
	}
	escape(spray);
	defended("the dangling object was never overlaid by the attacker's objects");
}
