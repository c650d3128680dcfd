// prog_cxx_threads: a multithreaded C++ workload, run with and without
// LD_PRELOAD=libbastion.so by cxx_threads.sh.
//
// Two producer threads build items (std::string, std::vector, std::map,
// std::unordered_map, a std::shared_ptr shared between items) and hand them
// through a bounded mutex-protected queue to two consumer threads, which
// checksum them, mutate them (reallocations) and either destroy them or send
// them back through a second queue for the producers (or main) to destroy.
// So memory is allocated in one thread and freed in another, both ways.
//
// All printed values depend only on item ids, never on scheduling: per-item
// checksums are combined by addition.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace
{

constexpr uint64_t kItems = 50000; // in total, over both producers
constexpr size_t kQueueCap = 256;
constexpr int kProducers = 2;
constexpr int kConsumers = 2;

uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

uint64_t fnv(const std::string &s, uint64_t h = 1469598103934665603ULL)
{
	for (unsigned char c : s) {
		h ^= c;
		h *= 1099511628211ULL;
	}
	return h;
}

struct Item {
	uint64_t id = 0;
	std::string name;
	std::vector<uint64_t> vec;
	std::map<int, std::string> ordered;
	std::unordered_map<std::string, std::vector<int>> hashed;
	std::shared_ptr<const std::string> shared;
};

// A shared_ptr payload used by several consecutive items of one producer, so
// its last owner (and so the thread that frees it) varies.
std::unique_ptr<Item> make_item(uint64_t id, std::shared_ptr<const std::string> &shared)
{
	auto it = std::make_unique<Item>();
	uint64_t r = mix(id + 1);
	it->id = id;
	it->name = "item-" + std::to_string(id) + "-" + std::string(r % 200, char('a' + id % 26));
	size_t nv = 1 + (r >> 8) % 300;
	for (size_t i = 0; i < nv; i++)
		it->vec.push_back(mix(id * 1000 + i));
	size_t nm = (r >> 20) % 24;
	for (size_t i = 0; i < nm; i++)
		it->ordered[int((mix(id ^ i) % 1000))] =
		    std::string(1 + (i * 7 + id) % 90, char('A' + i % 26));
	size_t nh = (r >> 32) % 16;
	for (size_t i = 0; i < nh; i++) {
		std::vector<int> v((i * 13 + id) % 64);
		for (size_t j = 0; j < v.size(); j++)
			v[j] = int(j * i + id % 1000);
		it->hashed.emplace("k" + std::to_string(i) + "/" + std::to_string(id % 97),
		                   std::move(v));
	}
	if (!shared || id % 16 == 0)
		shared = std::make_shared<const std::string>("shared-" + std::to_string(id) +
		                                             std::string(id % 300, 'S'));
	it->shared = shared;
	return it;
}

uint64_t checksum(const Item &it)
{
	uint64_t h = mix(it.id) ^ fnv(it.name);
	for (uint64_t v : it.vec)
		h = h * 31 + v;
	for (const auto &kv : it.ordered)
		h = fnv(kv.second, h * 131 + uint64_t(kv.first));
	uint64_t hs = 0; // unordered: combine entries order-independently
	for (const auto &kv : it.hashed) {
		uint64_t e = fnv(kv.first);
		for (int v : kv.second)
			e = e * 37 + uint64_t(v);
		hs += mix(e);
	}
	// The shared string depends on the producer's sequence, which is fixed
	// per producer (ids p, p+2, ...), so it is deterministic too.
	return h ^ hs ^ fnv(*it.shared);
}

// Consumer-side mutation: grow and shrink everything.
void mutate(Item &it)
{
	for (int i = 0; i < 5; i++)
		it.name += std::to_string(it.id * 7 + unsigned(i));
	it.vec.resize(it.vec.size() * 2 + 1, it.id);
	it.vec.erase(it.vec.begin(), it.vec.begin() + long(it.vec.size() / 3));
	it.vec.shrink_to_fit();
	if (!it.ordered.empty())
		it.ordered.erase(it.ordered.begin());
	it.ordered[-1] = it.name.substr(0, it.name.size() / 2);
	it.hashed.rehash(64);
	it.hashed["extra"] = std::vector<int>(size_t(it.id % 50), 3);
}

template <typename T> class Queue
{
      public:
	explicit Queue(size_t cap) : cap_(cap)
	{
	}
	void push(T v)
	{
		std::unique_lock<std::mutex> lk(mu_);
		not_full_.wait(lk, [&] { return cap_ == 0 || q_.size() < cap_; });
		q_.push_back(std::move(v));
		not_empty_.notify_one();
	}
	T pop()
	{
		std::unique_lock<std::mutex> lk(mu_);
		not_empty_.wait(lk, [&] { return !q_.empty(); });
		T v = std::move(q_.front());
		q_.pop_front();
		not_full_.notify_one();
		return v;
	}
	bool try_pop(T &out)
	{
		std::lock_guard<std::mutex> lk(mu_);
		if (q_.empty())
			return false;
		out = std::move(q_.front());
		q_.pop_front();
		not_full_.notify_one();
		return true;
	}

      private:
	size_t cap_; // 0: unbounded
	std::mutex mu_;
	std::condition_variable not_empty_, not_full_;
	std::deque<T> q_;
};

struct Totals {
	std::atomic<uint64_t> consumed{0}, sum1{0}, bytes{0};
	std::atomic<uint64_t> recycled{0}, sum2{0};
};

void destroy_recycled(std::unique_ptr<Item> it, Totals &t)
{
	t.sum2 += checksum(*it);
	t.recycled++;
	it.reset();
}

bool bastion_mapped()
{
	std::ifstream f("/proc/self/maps");
	std::string maps((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
	return maps.find("libbastion") != std::string::npos;
}

} // namespace

int main()
{
	if (const char *probe = std::getenv("PROBE")) {
		std::ofstream p(probe);
		p << (bastion_mapped() ? "loaded=1" : "loaded=0");
	}

	Queue<std::unique_ptr<Item>> work(kQueueCap);
	Queue<std::unique_ptr<Item>> back(0);
	Totals t;
	std::vector<std::thread> threads;

	for (int p = 0; p < kProducers; p++) {
		threads.emplace_back([&, p] {
			std::shared_ptr<const std::string> shared;
			for (uint64_t id = uint64_t(p); id < kItems; id += kProducers) {
				work.push(make_item(id, shared));
				std::unique_ptr<Item> r;
				while (back.try_pop(r))
					destroy_recycled(std::move(r), t);
			}
		});
	}
	for (int c = 0; c < kConsumers; c++) {
		threads.emplace_back([&] {
			std::vector<std::unique_ptr<Item>> keep; // freed later, in bulk
			for (;;) {
				std::unique_ptr<Item> it = work.pop();
				if (!it)
					break;
				t.sum1 += checksum(*it);
				t.bytes += it->name.size() + it->vec.size() * sizeof(uint64_t);
				t.consumed++;
				mutate(*it);
				switch (it->id % 3) {
				case 0:
					it.reset(); // free here (allocated by a producer)
					break;
				case 1:
					back.push(std::move(it)); // a producer or main frees it
					break;
				default:
					keep.push_back(std::move(it));
					if (keep.size() > 500) {
						for (auto &k : keep)
							destroy_recycled(std::move(k), t);
						keep.clear();
					}
				}
			}
			for (auto &k : keep)
				destroy_recycled(std::move(k), t);
		});
	}

	for (int p = 0; p < kProducers; p++)
		threads[size_t(p)].join();
	for (int c = 0; c < kConsumers; c++)
		work.push(nullptr); // one end marker per consumer
	for (size_t i = kProducers; i < threads.size(); i++)
		threads[i].join();
	std::unique_ptr<Item> r;
	while (back.try_pop(r))
		destroy_recycled(std::move(r), t);

	uint64_t expect_recycled = 0;
	for (uint64_t id = 0; id < kItems; id++)
		expect_recycled += id % 3 != 0;
	std::printf("items %llu consumed %llu recycled %llu\n", (unsigned long long)kItems,
	            (unsigned long long)t.consumed.load(), (unsigned long long)t.recycled.load());
	std::printf("checksum %016llx %016llx bytes %llu\n", (unsigned long long)t.sum1.load(),
	            (unsigned long long)t.sum2.load(), (unsigned long long)t.bytes.load());
	if (t.consumed != kItems || t.recycled != expect_recycled) {
		std::fprintf(stderr, "cxx_threads: lost items\n");
		return 1;
	}
	return 0;
}
