/*
 * Private zones (bastion_zone_*): objects of one size in zone slots of
 * their own. A slot of a private zone is never on a class list, never
 * adopted by a thread cache and never handed to malloc, so a dangling
 * pointer to one of its objects can only meet another object of the same
 * zone. The chunks inside are handled by the same code as the heap's
 * (random picks, canaries, wipes, state bitmap, neighbour checks); what
 * differs is the bookkeeping around them, all here:
 *
 *   record      one page per zone in a table reserved at start-up, so a
 *               handle can be checked: it must point at a record in the
 *               table whose magic is the table secret mixed with its
 *               address. A destroyed record is zeroed (and its page given
 *               back), so a stale handle is reported, not followed.
 *   cache       a few claimed chunks, taken from the current slot in one
 *               lock hold.
 *   quarantine  a randomized ring per zone, bounded like a thread's.
 *
 * One lock per zone serialises everything done to it. Order: a private
 * zone's lock, then its slots' zone locks or the region lock (zone.c).
 */
#include <errno.h>
#include <string.h>

#include "bastion.h"
#include "internal.h"

#define PZ_MAX     4096u /* records in the table */
#define PZ_CACHE   8u    /* chunks claimed per refill */
#define PZ_Q_SLOTS 128u  /* quarantine ring slots at most */
#define PZ_DRAIN   16u   /* chunks leaving the ring released per batch */

struct bastion_zone {
	_Atomic uint64_t magic; /* secret ^ address while live; 0 once destroyed */
	bst_lock_t lock;
	uint32_t index;  /* in the table; slots carry index + 1 */
	uint32_t head;   /* first slot (index + 1), the rest through z->next */
	uint32_t cur;    /* slot refills take from */
	uint32_t nslots; /* slots in the list */
	unsigned cls;
	unsigned flags;
	bool protected_; /* PROT_NONE until bastion_zone_unprotect */
	size_t object_size;
	size_t live;     /* objects handed out and not freed */
	uint32_t ncache; /* cache[0..ncache) are claimed, not handed out */
	uint32_t qcount, qslots;
	uint32_t ndrain; /* drain[0..ndrain) have left the ring, not yet released */
	void *cache[PZ_CACHE];
	void *q[PZ_Q_SLOTS];
	void *drain[PZ_DRAIN];
	bst_rng_t rng;
};
_Static_assert(sizeof(struct bastion_zone) <= BST_PAGE, "a private zone record fits a page");

static bst_lock_t table_lock;       /* record allocation */
static _Atomic uint32_t ncommitted; /* records [0, ncommitted) are accessible */
static uint32_t next_reuse;         /* where the search for a dead record starts */

static struct bastion_zone *record(uint32_t i)
{
	return (struct bastion_zone *)(bst_g.pzones + (uintptr_t)i * BST_PAGE);
}

static uint64_t magic_of(const struct bastion_zone *pz)
{
	return bst_g.pzone_secret ^ (uintptr_t)pz;
}

void bst_private_init(void)
{
	size_t bytes = (size_t)PZ_MAX * BST_PAGE;
	char *base = bst_os_reserve(bytes + 2 * BST_PAGE, BST_PAGE, 0, false);
	if (!base)
		return; /* bastion_zone_create fails with ENOMEM */
	bst_g.pzones = (uintptr_t)base + BST_PAGE;
	bst_os_name((void *)bst_g.pzones, bytes, "bastion private zone records");
	bst_random_bytes(&bst_g.pzone_secret, sizeof(bst_g.pzone_secret));
}

/* The live zone behind handle h, locked. Anything else is fatal: a handle
 * outside the table or between records was never made by us, a record
 * whose magic is gone was destroyed. */
static struct bastion_zone *lock_zone(bastion_zone_t *h)
{
	uintptr_t off = (uintptr_t)h - bst_g.pzones;
	if (!bst_ready() || bst_g.pzones == 0 || off % BST_PAGE != 0 ||
	    off / BST_PAGE >= atomic_load_explicit(&ncommitted, memory_order_acquire))
		bst_fatal(BST_E_INVALID_ZONE, "handle was not made by bastion_zone_create", h, 0);
	struct bastion_zone *pz = h;
	bst_lock(&pz->lock);
	if (atomic_load_explicit(&pz->magic, memory_order_relaxed) != magic_of(pz)) {
		bst_unlock(&pz->lock);
		bst_fatal(BST_E_INVALID_ZONE, "zone was destroyed (or the handle is forged)", h, 0);
	}
	return pz;
}

/* A record to build a zone in (table lock held): a fresh one while the
 * table has room, so a destroyed handle is not brought back to life for as
 * long as possible; then the next dead one, round robin. */
static struct bastion_zone *new_record(void)
{
	uint32_t n = atomic_load_explicit(&ncommitted, memory_order_relaxed);
	if (n < PZ_MAX) {
		if (!bst_os_commit(record(n), BST_PAGE))
			return NULL;
		atomic_store_explicit(&ncommitted, n + 1, memory_order_release);
		return record(n);
	}
	for (uint32_t k = 0; k < PZ_MAX; k++) {
		uint32_t i = (next_reuse + k) % PZ_MAX;
		if (atomic_load_explicit(&record(i)->magic, memory_order_relaxed) == 0) {
			next_reuse = (i + 1) % PZ_MAX;
			return record(i);
		}
	}
	return NULL;
}

BST_EXPORT bastion_zone_t *bastion_zone_create(size_t object_size, unsigned flags)
{
	if (object_size == 0 || object_size > BST_MAX_SMALL_REQ || (flags & ~BASTION_ZONE_NODUMP)) {
		errno = EINVAL;
		return NULL;
	}
	if (!bst_ensure_init() || bst_g.pzones == 0 || bst_g.region == 0) {
		errno = ENOMEM;
		return NULL;
	}
	bst_lock(&table_lock);
	struct bastion_zone *pz = new_record();
	if (!pz) {
		bst_unlock(&table_lock);
		errno = ENOMEM;
		return NULL;
	}
	/* A dead record reads as zero (its page was given back), its lock
	 * included. */
	pz->index = (uint32_t)(((uintptr_t)pz - bst_g.pzones) / BST_PAGE);
	pz->head = pz->cur = pz->nslots = 0;
	pz->cls = bst_size_to_class(object_size);
	pz->flags = flags;
	pz->protected_ = false;
	pz->object_size = object_size;
	pz->live = 0;
	pz->ncache = pz->qcount = pz->ndrain = 0;
	/* The thread quarantine's limits, in slots and in bytes. */
	size_t by_bytes = (size_t)bst_g.opt.quarantine_bytes / bst_class_size[pz->cls];
	size_t slots =
	    bst_g.opt.quarantine_slots < PZ_Q_SLOTS ? bst_g.opt.quarantine_slots : PZ_Q_SLOTS;
	pz->qslots = (uint32_t)(by_bytes < slots ? by_bytes : slots);
	bst_rng_seed(&pz->rng);
	atomic_store_explicit(&pz->magic, magic_of(pz), memory_order_release);
	bst_unlock(&table_lock);
	return pz;
}

static bst_zone_t *slot(uint32_t idx1)
{
	return &bst_g.zones[idx1 - 1];
}

/* Fills the cache from the current slot, any slot with room, or a new
 * one. False when memory is exhausted. */
static bool refill(struct bastion_zone *pz)
{
	if (pz->cur && (pz->ncache = bst_zone_take(slot(pz->cur), pz->cache, PZ_CACHE, &pz->rng)))
		return true;
	for (uint32_t i = pz->head; i; i = slot(i)->next) {
		if (i != pz->cur && bst_zone_has_room(slot(i)) &&
		    (pz->ncache = bst_zone_take(slot(i), pz->cache, PZ_CACHE, &pz->rng))) {
			pz->cur = i;
			return true;
		}
	}
	bst_zone_t *z = bst_zone_create_private(pz->cls, (uint16_t)(pz->index + 1), &pz->rng);
	if (!z)
		return false;
	if (pz->flags & BASTION_ZONE_NODUMP) {
		bst_os_nodump((void *)z->user, BST_ZONE_USER);
	}
	uint32_t idx1 = (uint32_t)(z - bst_g.zones) + 1;
	z->next = pz->head;
	pz->head = pz->cur = idx1;
	pz->nslots++;
	pz->ncache = bst_zone_take(z, pz->cache, PZ_CACHE, &pz->rng);
	return pz->ncache != 0;
}

BST_EXPORT void *bastion_zone_alloc(bastion_zone_t *h)
{
	struct bastion_zone *pz = lock_zone(h);
	if (pz->protected_) {
		bst_unlock(&pz->lock);
		errno = EACCES;
		return NULL;
	}
	if (pz->ncache == 0 && !refill(pz)) {
		bst_unlock(&pz->lock);
		errno = ENOMEM;
		return NULL;
	}
	bool zeroed;
	void *p = bst_chunk_hand_out(pz->cache[--pz->ncache], pz->object_size, &zeroed);
	pz->live++;
	bst_unlock(&pz->lock);
	/* Freed chunks come back verified zero (with wiping on and the
	 * default free_fill); never-used ones, and any filled by free_fill or
	 * alloc_fill, are cleared rather than trusted. */
	if (!zeroed)
		memset(p, 0, pz->object_size);
	return p;
}

/* A chunk leaves the quarantine: released with the next ones in one
 * batch, so the slot's lock is taken once per PZ_DRAIN frees rather than
 * on each (a 64-byte zone alloc+free pair went 79-86 -> 67-74 ns). */
static void drain(struct bastion_zone *pz, void *p)
{
	pz->drain[pz->ndrain++] = p;
	if (pz->ndrain == PZ_DRAIN) {
		bst_zone_release(pz->drain, PZ_DRAIN);
		pz->ndrain = 0;
	}
}

/* Puts freed object p into the zone's ring; a full ring lets a random
 * resident go. */
static void quarantine(struct bastion_zone *pz, void *p)
{
	if (pz->qslots == 0) {
		drain(pz, p);
	} else if (pz->qcount < pz->qslots) {
		pz->q[pz->qcount++] = p;
	} else {
		uint32_t j = bst_rng_below(&pz->rng, pz->qcount);
		void *victim = pz->q[j];
		pz->q[j] = p;
		drain(pz, victim);
	}
}

BST_NORETURN BST_COLD static void mismatch(struct bastion_zone *pz, const void *p,
                                           const bst_zone_t *z)
{
	bst_unlock(&pz->lock);
	if (z && z->pzone)
		bst_fatal(BST_E_ZONE_MISMATCH,
		          "bastion_zone_free of an object of another private zone", p, z->size);
	if (z)
		bst_fatal(BST_E_ZONE_MISMATCH, "bastion_zone_free of a malloc'd block", p, z->size);
	if (bst_in_zone_region(p))
		bst_fatal(BST_E_INVALID_FREE,
		          "pointer into a destroyed private zone or an unused zone slot", p, 0);
	bst_fatal(BST_E_ZONE_MISMATCH, "bastion_zone_free of a pointer no private zone holds", p,
	          0);
}

BST_EXPORT void bastion_zone_free(bastion_zone_t *h, void *p)
{
	struct bastion_zone *pz = lock_zone(h);
	if (p == NULL) {
		bst_unlock(&pz->lock);
		return;
	}
	bst_zone_t *z = bst_zone_of(p);
	if (!z || z->pzone != pz->index + 1)
		mismatch(pz, p, z);
	if (pz->protected_) {
		bst_unlock(&pz->lock);
		bst_fatal(BST_E_ZONE_PROTECTED, "bastion_zone_free while the zone is protected", p,
		          z->size);
	}
	bst_chunk_free(z, p); /* fatal for a double or invalid free */
	pz->live--;
	quarantine(pz, p);
	bst_unlock(&pz->lock);
}

BST_EXPORT void bastion_zone_destroy(bastion_zone_t *h)
{
	struct bastion_zone *pz = lock_zone(h);
	atomic_store_explicit(&pz->magic, 0, memory_order_release);
	for (uint32_t i = pz->head; i;) {
		uint32_t next = slot(i)->next;
		bst_zone_retire(slot(i));
		i = next;
	}
	pz->head = pz->cur = pz->nslots = 0;
	pz->ncache = pz->qcount = pz->ndrain = 0;
	bst_unlock(&pz->lock);
	/* Threads that were waiting for the lock see the magic gone and
	 * report it. The page is given back: it reads as zero (a dead record,
	 * an unlocked lock) and the generator's key is gone with it. */
	if (!bst_os_purge(pz, BST_PAGE))
		bst_wipe(pz, 0, BST_PAGE);
}

/* The accessible part of slot zone z: its window (the rest stays
 * inaccessible whatever the zone's protection). */
static size_t window_bytes(const bst_zone_t *z)
{
	return bst_zone_committed_bytes(z->size,
	                                atomic_load_explicit(&z->frontier, memory_order_relaxed));
}

/* Sets the protection of every slot of pz (their windows); on a failure,
 * puts back the slots already changed. */
static int set_protection(struct bastion_zone *pz, unsigned access, unsigned undo)
{
	for (uint32_t i = pz->head; i; i = slot(i)->next) {
		size_t n = window_bytes(slot(i));
		if (n && !bst_os_protect((void *)slot(i)->user, n, access)) {
			int err = errno;
			for (uint32_t k = pz->head; k != i; k = slot(k)->next)
				if (window_bytes(slot(k)))
					bst_os_protect((void *)slot(k)->user, window_bytes(slot(k)),
					               undo);
			errno = err;
			return -1;
		}
	}
	return 0;
}

BST_EXPORT int bastion_zone_protect(bastion_zone_t *h)
{
	struct bastion_zone *pz = lock_zone(h);
	int r = 0;
	if (!pz->protected_) {
		r = set_protection(pz, BST_ACCESS_NONE, BST_ACCESS_RW);
		pz->protected_ = r == 0;
	}
	bst_unlock(&pz->lock);
	return r;
}

BST_EXPORT int bastion_zone_unprotect(bastion_zone_t *h)
{
	struct bastion_zone *pz = lock_zone(h);
	int r = 0;
	if (pz->protected_) {
		r = set_protection(pz, BST_ACCESS_RW, BST_ACCESS_NONE);
		pz->protected_ = r != 0;
	}
	bst_unlock(&pz->lock);
	return r;
}

/* Calls fn on every live record, its lock held. */
static size_t each_live(size_t (*fn)(struct bastion_zone *pz, void *ctx), void *ctx)
{
	size_t sum = 0;
	uint32_t n = atomic_load_explicit(&ncommitted, memory_order_acquire);
	for (uint32_t i = 0; i < n; i++) {
		struct bastion_zone *pz = record(i);
		if (atomic_load_explicit(&pz->magic, memory_order_acquire) == 0)
			continue;
		bst_lock(&pz->lock);
		if (atomic_load_explicit(&pz->magic, memory_order_relaxed) == magic_of(pz))
			sum += fn(pz, ctx);
		bst_unlock(&pz->lock);
	}
	return sum;
}

static size_t verify_zone(struct bastion_zone *pz, void *ctx)
{
	bool never = *(const bool *)ctx;
	size_t problems = 0;
	if (pz->protected_)
		return 0; /* inaccessible by request; checked once unprotected */
	for (uint32_t i = pz->head; i; i = slot(i)->next)
		problems += bst_zone_verify_one(slot(i), never);
	return problems;
}

size_t bst_private_verify(bool never)
{
	return bst_g.pzones ? each_live(verify_zone, &never) : 0;
}

/* Adds pz to out->private_zones. Chunk states and residency are read from
 * the metadata and with mincore, so a protected zone is counted too. */
static size_t stats_zone(struct bastion_zone *pz, void *ctx)
{
	struct bastion_stats *out = ctx;
	struct bastion_stats_class c;
	memset(&c, 0, sizeof(c));
	for (uint32_t i = pz->head; i; i = slot(i)->next)
		bst_stats_zone(slot(i), &c);
	out->private_zones.zones++;
	out->private_zones.slots += pz->nslots;
	out->private_zones.objects_in_use += pz->live;
	out->private_zones.objects_quarantined += pz->qcount + pz->ndrain;
	out->private_zones.bytes_in_use += c.bytes_in_use;
	out->private_zones.bytes_mapped += c.bytes_mapped;
	out->private_zones.bytes_resident += c.bytes_resident;
	return 0;
}

void bst_private_stats(struct bastion_stats *out)
{
	if (bst_g.pzones)
		each_live(stats_zone, out);
}

/* Fork handlers. The table lock first, so no record becomes live; then
 * the lock of every live record (none can die meanwhile: destroy needs
 * it) and its slots' locks. Dead records are left alone: locking them
 * would fault a page of each into both processes. */
static bool live(uint32_t i)
{
	return atomic_load_explicit(&record(i)->magic, memory_order_relaxed) != 0;
}

void bst_private_lock_all(void)
{
	bst_lock(&table_lock);
	uint32_t n = atomic_load_explicit(&ncommitted, memory_order_relaxed);
	for (uint32_t i = 0; i < n; i++) {
		if (!live(i))
			continue;
		bst_lock(&record(i)->lock);
		if (!live(i)) { /* destroyed while we waited */
			bst_unlock(&record(i)->lock);
			continue;
		}
		for (uint32_t s = record(i)->head; s; s = slot(s)->next)
			bst_lock(&slot(s)->lock);
	}
}

void bst_private_unlock_all(void)
{
	uint32_t n = atomic_load_explicit(&ncommitted, memory_order_relaxed);
	for (uint32_t i = n; i-- > 0;) {
		if (!live(i))
			continue;
		for (uint32_t s = record(i)->head; s; s = slot(s)->next)
			bst_unlock(&slot(s)->lock);
		bst_unlock(&record(i)->lock);
	}
	bst_unlock(&table_lock);
}

void bst_private_reset_locks(void)
{
	uint32_t n = atomic_load_explicit(&ncommitted, memory_order_relaxed);
	for (uint32_t i = 0; i < n; i++) {
		struct bastion_zone *pz = record(i);
		if (!live(i)) {
			/* Reading a given-back page costs nothing; a destroy cut
			 * short by the fork may have left its lock held. */
			if (atomic_load_explicit(&pz->lock.v, memory_order_relaxed))
				bst_lock_reset(&pz->lock);
			continue;
		}
		for (uint32_t s = pz->head; s; s = slot(s)->next)
			bst_lock_reset(&slot(s)->lock);
		bst_lock_reset(&pz->lock);
		bst_rng_seed(&pz->rng); /* the child draws its own numbers */
	}
	bst_lock_reset(&table_lock);
}
