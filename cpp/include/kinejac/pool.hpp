// Parallel loops over a range, on threads started for the call and joined before it returns: no
// thread outlives a call, so a process that forks (reachability pools do) inherits none.
#pragma once

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace kinejac {

// fn(start, stop, worker) over chunks of [0, n) on `threads` workers (worker 0 is the caller).
template <class Fn>
void parallel_chunks(int n, int threads, int chunk, Fn&& fn) {
    threads = std::max(1, std::min(threads, (n + chunk - 1) / std::max(chunk, 1)));
    if (threads <= 1) {
        fn(0, n, 0);
        return;
    }
    std::atomic<int> next{0};
    auto work = [&](int worker) {
        for (;;) {
            const int a = next.fetch_add(chunk);
            if (a >= n) return;
            fn(a, std::min(a + chunk, n), worker);
        }
    };
    std::vector<std::thread> pool;
    pool.reserve(threads - 1);
    for (int w = 1; w < threads; ++w) pool.emplace_back(work, w);
    work(0);
    for (auto& t : pool) t.join();
}

}  // namespace kinejac
