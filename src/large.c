/*
 * Large allocations: requests above the biggest size class (or with an
 * alignment no class gives). Each one is its own mapping:
 *
 *     [guard page][data: usable bytes, canary, slack to the page end][guard page]
 *
 * The record (address, usable size, mapping) lives out of line in a hash
 * table split into shards, each with its own lock and its own guarded
 * mapping, so lookups from different threads rarely meet. realloc moves
 * pages with mremap instead of copying them.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

#define SHARDS    16
#define EMPTY     ((uintptr_t)0)
#define TOMBSTONE ((uintptr_t)1)

typedef struct {
	uintptr_t key; /* data address, or EMPTY / TOMBSTONE */
	size_t usable; /* bytes the program may use; the canary follows */
	uintptr_t map; /* whole mapping, guard pages included */
	size_t map_size;
} large_rec_t;

typedef struct {
	bst_lock_t lock;
	large_rec_t *tab;
	size_t cap;  /* power of two, or 0 before first use */
	size_t used; /* live records plus tombstones */
} __attribute__((aligned(64))) shard_t;

static shard_t shards[SHARDS];

static uint64_t hash(uintptr_t k)
{
	return (uint64_t)(k >> 12) * 0x9e3779b97f4a7c15ull;
}

/* The shard comes from the top 4 bits of the hash, the slot from the 32
 * below them: the low bits of a multiplicative hash repeat for aligned
 * addresses. */
static shard_t *shard_of(uintptr_t k)
{
	return &shards[hash(k) >> 60];
}

static size_t slot_of(uintptr_t k, size_t cap)
{
	return (size_t)(hash(k) >> 28) & (cap - 1);
}

static size_t data_bytes(size_t usable)
{
	return (usable + BST_CANARY_SIZE + BST_PAGE - 1) & ~(BST_PAGE - 1);
}

static uint64_t canary_of(uintptr_t data)
{
	return bst_canary_mix(bst_g.large_secret, data);
}

static void check_canary(const large_rec_t *r)
{
	uint64_t c;
	memcpy(&c, (const void *)(r->key + r->usable), sizeof(c));
	if (bst_unlikely(c != canary_of(r->key)))
		bst_fatal("canary-corrupted", "large allocation overflowed", (void *)r->key, 0);
}

static void write_canary(uintptr_t data, size_t usable)
{
	uint64_t c = canary_of(data);
	memcpy((void *)(data + usable), &c, sizeof(c));
}

static large_rec_t *find(shard_t *s, uintptr_t k)
{
	if (!s->cap)
		return NULL;
	for (size_t i = slot_of(k, s->cap);; i = (i + 1) & (s->cap - 1)) {
		if (s->tab[i].key == k)
			return &s->tab[i];
		if (s->tab[i].key == EMPTY)
			return NULL;
	}
}

static void put(large_rec_t *tab, size_t cap, const large_rec_t *r)
{
	size_t i = slot_of(r->key, cap);
	while (tab[i].key > TOMBSTONE)
		i = (i + 1) & (cap - 1);
	tab[i] = *r;
}

/* Inserts r; false when the table cannot grow. Shard lock held. */
static bool insert(shard_t *s, const large_rec_t *r)
{
	if ((s->used + 1) * 4 > s->cap * 3) {
		size_t live = 0;
		for (size_t i = 0; i < s->cap; i++)
			live += s->tab[i].key > TOMBSTONE;
		size_t ncap = 256;
		while (ncap < (live + 1) * 4)
			ncap *= 2;
		large_rec_t *nt = bst_os_map_guarded(ncap * sizeof(large_rec_t));
		if (!nt)
			return false;
		bst_os_name(nt, ncap * sizeof(large_rec_t), "bastion large records");
		for (size_t i = 0; i < s->cap; i++)
			if (s->tab[i].key > TOMBSTONE)
				put(nt, ncap, &s->tab[i]);
		if (s->cap)
			bst_os_unmap_guarded(s->tab, s->cap * sizeof(large_rec_t));
		s->tab = nt;
		s->cap = ncap;
		s->used = live;
	}
	put(s->tab, s->cap, r);
	s->used++;
	return true;
}

void *bst_large_alloc(size_t size, size_t align)
{
	/* Bounds size + align, so no sum below can wrap. */
	if (align > BST_MAX_REQUEST || size > BST_MAX_REQUEST - align) {
		errno = ENOMEM;
		return NULL;
	}
	size_t usable = (size + 15) & ~(size_t)15;
	size_t data = data_bytes(usable);
	size_t slack = align > BST_PAGE ? align - BST_PAGE : 0;
	size_t span = data + 2 * BST_PAGE + slack;
	char *base = bst_os_reserve(span, BST_PAGE, 0, true);
	if (!base) {
		errno = ENOMEM;
		return NULL;
	}
	uintptr_t d = (uintptr_t)base + BST_PAGE;
	if (slack)
		d = (d + align - 1) & ~(uintptr_t)(align - 1);
	uintptr_t map = d - BST_PAGE, map_end = d + data + BST_PAGE;
	if (map > (uintptr_t)base)
		bst_os_release(base, map - (uintptr_t)base);
	if ((uintptr_t)base + span > map_end)
		bst_os_release((void *)map_end, (uintptr_t)base + span - map_end);
	large_rec_t r = {d, usable, map, map_end - map};
	if (!bst_os_commit((void *)d, data))
		goto fail;
	bst_os_name((void *)d, data, "bastion large");
	write_canary(d, usable);
	shard_t *s = shard_of(d);
	bst_lock(&s->lock);
	bool ok = insert(s, &r);
	bst_unlock(&s->lock);
	if (ok)
		return (void *)d;
fail:
	bst_os_release((void *)map, map_end - map);
	errno = ENOMEM;
	return NULL;
}

bool bst_large_free(void *p)
{
	shard_t *s = shard_of((uintptr_t)p);
	bst_lock(&s->lock);
	large_rec_t *rp = find(s, (uintptr_t)p);
	if (!rp) {
		bst_unlock(&s->lock);
		return false;
	}
	large_rec_t r = *rp;
	rp->key = TOMBSTONE;
	bst_unlock(&s->lock);
	check_canary(&r);
	bst_os_release((void *)r.map, r.map_size);
	return true;
}

bool bst_large_usable(const void *p, size_t *usable)
{
	shard_t *s = shard_of((uintptr_t)p);
	bst_lock(&s->lock);
	large_rec_t *r = find(s, (uintptr_t)p);
	if (r)
		*usable = r->usable;
	bst_unlock(&s->lock);
	return r != NULL;
}

void *bst_large_realloc(void *p, size_t size)
{
	if (size > BST_MAX_REQUEST) {
		errno = ENOMEM;
		return NULL;
	}
	uintptr_t k = (uintptr_t)p;
	shard_t *s = shard_of(k);
	bst_lock(&s->lock);
	large_rec_t *rp = find(s, k);
	if (!rp) {
		bst_unlock(&s->lock);
		bst_fatal("invalid-free", "realloc of a pointer bastion did not allocate", p, 0);
	}
	check_canary(rp);
	size_t usable = (size + 15) & ~(size_t)15;
	size_t old_data = rp->map_size - 2 * BST_PAGE, data = data_bytes(usable);
	if (data <= old_data) {
		if (data < old_data) {
			/* The first page past the new end becomes the guard; the rest,
			 * old guard included, goes back to the OS. */
			uintptr_t guard = k + data, end = rp->map + rp->map_size;
			bst_os_decommit((void *)guard, BST_PAGE);
			bst_os_release((void *)(guard + BST_PAGE), end - guard - BST_PAGE);
			rp->map_size = data + 2 * BST_PAGE;
		}
		rp->usable = usable;
		write_canary(k, usable);
		bst_unlock(&s->lock);
		return p;
	}
	/* Grow: reserve the new mapping, then move the pages into it. */
	size_t span = data + 2 * BST_PAGE;
	char *base = bst_os_reserve(span, BST_PAGE, 0, true);
	void *moved = MAP_FAILED;
	if (base)
		moved = mremap(p, old_data, data, MREMAP_MAYMOVE | MREMAP_FIXED, base + BST_PAGE);
	if (moved == MAP_FAILED) {
		if (base)
			bst_os_release(base, span);
		bst_unlock(&s->lock);
		errno = ENOMEM;
		return NULL;
	}
	large_rec_t r = *rp;
	rp->key = TOMBSTONE;
	bst_unlock(&s->lock);
	/* The old data pages moved; only the old guard pages remain. */
	bst_os_release((void *)r.map, BST_PAGE);
	bst_os_release((void *)(k + old_data), BST_PAGE);
	r.key = (uintptr_t)moved;
	r.usable = usable;
	r.map = (uintptr_t)base;
	r.map_size = span;
	write_canary(r.key, usable);
	s = shard_of(r.key);
	bst_lock(&s->lock);
	bool ok = insert(s, &r);
	bst_unlock(&s->lock);
	if (!ok)
		bst_fatal("out-of-metadata", "cannot record a moved large allocation", moved, 0);
	return moved;
}

void bst_large_lock_all(void)
{
	for (int i = 0; i < SHARDS; i++)
		bst_lock(&shards[i].lock);
}

void bst_large_unlock_all(void)
{
	for (int i = SHARDS; i-- > 0;)
		bst_unlock(&shards[i].lock);
}

void bst_large_reset_locks(void)
{
	for (int i = 0; i < SHARDS; i++)
		bst_lock_reset(&shards[i].lock);
}
