/*
 * Use after free across types, defeated by a private zone: a daemon keeps
 * its session objects (with a privilege flag and a callback) in a zone of
 * their own. A session is freed while a dangling pointer to it remains.
 * The attacker then makes the daemon parse 50,000 messages, each a heap
 * block of the session's size filled with bytes they choose, far more than
 * any quarantine holds; after each, the daemon checks the dangling session.
 * The attacker's bytes must never show through it.
 *
 * EXPECT: defend
 *
 * Under bastion the session lives in a private zone slot, which malloc
 * never hands out: the heap blocks cannot land there, however many there
 * are. An allocator without private zones gets plain malloc (see attack.h)
 * and the freed session is reclaimed once its quarantine, if any, lets go.
 * BUILD-FLAGS: -O0
 */
#define _GNU_SOURCE
#include "attack.h"

#define MESSAGES 50000

struct session {
	uint64_t is_admin;
	void (*on_close)(struct session *);
	char user[48];
};

int main(void)
{
	struct type_zone sessions;
	type_zone_init(&sessions, sizeof(struct session));
	struct session *s = type_zone_alloc(&sessions);
	s->is_admin = 0;
	strcpy(s->user, "guest");
	struct session *volatile dangling = s;
	type_zone_free(&sessions, s);

	for (int i = 0; i < MESSAGES; i++) {
		char *msg = escape(malloc(sizeof(struct session)));
		if (!msg)
			return 2;
		memset(msg, 0x41, sizeof(struct session));
		if (dangling->is_admin == 0x4141414141414141ull)
			attack_won("a parsed message was reclaimed as the freed session");
		/* Half of the messages stay alive, as in a real parse. */
		if (i & 1)
			free(msg);
	}
	defended("no heap block ever overlaid the freed session");
}
