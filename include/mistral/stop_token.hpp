// mistral/stop_token.hpp: mistral::stop_source, stop_token and stop_callback, what cancels a call
// (call_options::stop). Where the standard library has <stop_token> (libstdc++, MSVC, libc++ 18
// and later), they are the standard's own types: mistral::stop_source is std::stop_source, and a
// std::stop_token can be given to a call. Where it does not (libc++ before 18, which Debian 12's
// clang and Apple's Xcode before 16 ship), they are an equivalent of the library's own with the
// same interface, so the same program compiles on both.
// SPDX-License-Identifier: MIT
#pragma once

#include <version>

#include "detail/config.hpp"

#if defined(__cpp_lib_jthread) && !defined(MISTRAL_OWN_STOP_TOKEN)

#include <stop_token>

MISTRAL_NAMESPACE_BEGIN
using std::stop_callback;
using std::stop_source;
using std::stop_token;
MISTRAL_NAMESPACE_END

#else

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>

MISTRAL_NAMESPACE_BEGIN

namespace detail {

// What a stop_source shares with its tokens and callbacks: whether a stop was requested, and the
// callbacks registered (a list they link themselves into).
struct stop_state {
    struct callback_base {
        virtual void run() noexcept = 0;
        callback_base* next = nullptr;
        callback_base* previous = nullptr;
        bool taken = false;  // request_stop() took it off the list to run it

    protected:
        ~callback_base() = default;
    };

    std::mutex mutex;
    std::condition_variable finished;
    std::atomic<bool> requested{false};
    callback_base* head = nullptr;
    callback_base* running = nullptr;
    std::thread::id running_on;

    // Registers `cb`; false (not registered) when a stop was already requested.
    bool add(callback_base* cb) {
        std::lock_guard lock(mutex);
        if (requested) return false;
        cb->next = head;
        if (head != nullptr) head->previous = cb;
        head = cb;
        return true;
    }

    // Unregisters `cb`; waits for it when another thread is running it (a callback that
    // destroys itself while it runs does not wait for itself).
    void remove(callback_base* cb) {
        std::unique_lock lock(mutex);
        if (running == cb && running_on != std::this_thread::get_id()) {
            finished.wait(lock, [this, cb] { return running != cb; });
            return;
        }
        if (!cb->taken) unlink(cb);
    }

    bool request_stop() {
        std::unique_lock lock(mutex);
        if (requested) return false;
        requested = true;
        running_on = std::this_thread::get_id();
        while (head != nullptr) {
            callback_base* cb = head;
            unlink(cb);
            cb->taken = true;
            running = cb;
            lock.unlock();
            cb->run();  // may destroy cb: it is not touched again
            lock.lock();
            running = nullptr;
            finished.notify_all();
        }
        return true;
    }

private:
    void unlink(callback_base* cb) {
        if (cb->previous != nullptr) cb->previous->next = cb->next;
        if (cb->next != nullptr) cb->next->previous = cb->previous;
        if (head == cb) head = cb->next;
        cb->next = cb->previous = nullptr;
    }
};

}  // namespace detail

/// Whether a stop was requested of the source it came from (std::stop_token's interface).
class stop_token {
public:
    stop_token() noexcept = default;
    /// Whether the source was asked to stop.
    bool stop_requested() const noexcept { return state_ && state_->requested.load(); }
    /// Whether a stop can ever be requested (the token has a source).
    bool stop_possible() const noexcept { return state_ != nullptr; }
    /// Whether both tokens come from the same source (or neither has one).
    friend bool operator==(const stop_token& a, const stop_token& b) noexcept {
        return a.state_ == b.state_;
    }

private:
    template <class F>
    friend class stop_callback;
    friend class stop_source;
    explicit stop_token(std::shared_ptr<detail::stop_state> state) noexcept
        : state_(std::move(state)) {}
    std::shared_ptr<detail::stop_state> state_;
};

/// Requests a stop that its tokens see (std::stop_source's interface).
class stop_source {
public:
    stop_source() : state_(std::make_shared<detail::stop_state>()) {}
    /// A token of this source.
    stop_token get_token() const noexcept { return stop_token(state_); }
    /// Requests the stop and runs the registered callbacks, on this thread; false when it had
    /// been requested already.
    bool request_stop() noexcept { return state_ && state_->request_stop(); }
    /// Whether a stop was requested.
    bool stop_requested() const noexcept { return get_token().stop_requested(); }
    /// Whether this source can request a stop.
    bool stop_possible() const noexcept { return state_ != nullptr; }

private:
    std::shared_ptr<detail::stop_state> state_;
};

/// Runs a callable once a stop is requested (at once, in the constructor, when it already was);
/// its destruction unregisters it, waiting when another thread is running it
/// (std::stop_callback's interface).
template <class Callback>
class stop_callback final : private detail::stop_state::callback_base {
public:
    using callback_type = Callback;  ///< the callable it runs

    /// Registers `f` with the token's source.
    template <class C>
    requires std::is_constructible_v<Callback, C>
    explicit stop_callback(const stop_token& token,
                           C&& f) noexcept(std::is_nothrow_constructible_v<Callback, C>)
        : callback_(std::forward<C>(f)), state_(token.state_) {
        if (state_ && !state_->add(this)) {
            state_.reset();
            callback_();
        }
    }
    stop_callback(const stop_callback&) = delete;
    stop_callback& operator=(const stop_callback&) = delete;
    /// Unregisters the callable (waiting if another thread is running it).
    ~stop_callback() {
        if (state_) state_->remove(this);
    }

private:
    void run() noexcept override { callback_(); }

    Callback callback_;
    std::shared_ptr<detail::stop_state> state_;
};

/// Deduces the callable's type, as std::stop_callback does.
template <class Callback>
stop_callback(stop_token, Callback) -> stop_callback<Callback>;

MISTRAL_NAMESPACE_END

#endif
