// tests/support/allocation_counter.cpp: replaces the global allocation functions to count calls and
// bytes; see allocation_counter.hpp.
#include "allocation_counter.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {
std::atomic<std::size_t> allocations{0};
std::atomic<std::size_t> bytes{0};
std::atomic<std::size_t> peak{0};

std::size_t size_of(void* p) noexcept {
#if defined(__GLIBC__)
    return p != nullptr ? malloc_usable_size(p) : 0;
#else
    (void)p;
    return 0;
#endif
}

void* counted(void* p) noexcept {
    allocations.fetch_add(1, std::memory_order_relaxed);
    const std::size_t now = bytes.fetch_add(size_of(p), std::memory_order_relaxed) + size_of(p);
    std::size_t seen = peak.load(std::memory_order_relaxed);
    while (now > seen && !peak.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {}
    return p;
}

void release(void* p) noexcept {
    bytes.fetch_sub(size_of(p), std::memory_order_relaxed);
    std::free(p);
}

void* allocate(std::size_t size) {
    if (void* p = std::malloc(size == 0 ? 1 : size)) return counted(p);
    throw std::bad_alloc();
}
}  // namespace

std::size_t mistral::test::allocation_count() noexcept {
    return allocations.load(std::memory_order_relaxed);
}
std::size_t mistral::test::allocated_bytes() noexcept {
    return bytes.load(std::memory_order_relaxed);
}
std::size_t mistral::test::peak_bytes() noexcept {
    return peak.load(std::memory_order_relaxed);
}
void mistral::test::reset_peak_bytes() noexcept {
    peak.store(bytes.load(std::memory_order_relaxed), std::memory_order_relaxed);
}

void* operator new(std::size_t size) {
    return allocate(size);
}
void* operator new[](std::size_t size) {
    return allocate(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    void* p = std::malloc(size == 0 ? 1 : size);
    return p != nullptr ? counted(p) : nullptr;
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
    return operator new(size, tag);
}
void operator delete(void* p) noexcept {
    release(p);
}
void operator delete[](void* p) noexcept {
    release(p);
}
void operator delete(void* p, std::size_t) noexcept {
    release(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    release(p);
}
