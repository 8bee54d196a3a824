// mistral/chat_stream.hpp: chat_stream, the stream that basic_client::open_stream() returns and
// the caller pulls chunk by chunk with a range-for.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <iterator>
#include <memory>
#include <utility>

#include "detail/config.hpp"
#include "types.hpp"

MISTRAL_NAMESPACE_BEGIN

namespace detail {
// The engine's side of an open stream (impl/client_engine.hpp).
class stream_source {
public:
    virtual ~stream_source() = default;
    // Reads until the next chunk and returns it (valid until the next call), or nullptr once the
    // stream ended with [DONE]. Throws what stream() throws mid-stream.
    virtual const chat_chunk* next() = 0;
    virtual const chat_response& response() const noexcept = 0;
};
}  // namespace detail

/// A streamed completion, read as the caller asks for it:
///
///     mistral::chat_stream s = client.open_stream(req);
///     for (const mistral::chat_chunk& chunk : s) std::cout << chunk.text() << std::flush;
///     std::cout << s.response().usage.total_tokens << '\n';
///
/// open_stream() returns once the response head has arrived; each step of the loop reads more of
/// the stream on the calling thread (over a push-only transport, a helper thread reads it and
/// hands each piece over; see transport.hpp). A step throws what stream() throws mid-stream
/// (protocol_error for a stream that ends before [DONE], api_error for an error event,
/// transport_error for a timeout or cancellation), with partial_response() set; after that the
/// stream is over. Leaving the loop early and destroying the stream closes its connection (it is
/// not reused) and leaves the client usable.
///
/// Single-pass and movable, not copyable. The client must outlive the stream. Not thread-safe:
/// one thread reads it (call_options::stop cancels it from any other).
class chat_stream {
public:
    /// An input iterator over the chunks; `end()` is std::default_sentinel.
    class iterator {
    public:
        using iterator_concept = std::input_iterator_tag;  ///< single-pass
        using value_type = chat_chunk;                     ///< what it yields
        using difference_type = std::ptrdiff_t;            ///< as input iterators need

        iterator() = default;
        /// The current chunk, valid until the next step.
        const chat_chunk& operator*() const noexcept { return *stream_->current_; }
        /// The current chunk's members.
        const chat_chunk* operator->() const noexcept { return stream_->current_; }
        /// Reads the next chunk (this is where the stream blocks and where it throws).
        iterator& operator++() {
            stream_->advance();
            return *this;
        }
        /// The same step, for `it++`.
        void operator++(int) { ++*this; }
        /// Whether the stream has ended.
        friend bool operator==(const iterator& i, std::default_sentinel_t) noexcept {
            return i.stream_ == nullptr || i.stream_->finished();
        }

    private:
        friend class chat_stream;
        explicit iterator(chat_stream* stream) noexcept : stream_(stream) {}
        chat_stream* stream_ = nullptr;
    };

    /// Moves the stream (and its connection); the moved-from stream must not be read.
    chat_stream(chat_stream&&) noexcept = default;
    /// Moves the stream; the one assigned to is closed first.
    chat_stream& operator=(chat_stream&&) noexcept = default;
    chat_stream(const chat_stream&) = delete;
    chat_stream& operator=(const chat_stream&) = delete;
    ~chat_stream() = default;

    /// Reads the next chunk and returns an iterator to it, as std::ranges::istream_view does: a
    /// loop left with `break` and entered again continues with the chunk after the one it broke
    /// on.
    iterator begin() {
        if (!finished()) advance();
        return iterator(this);
    }
    /// The end of the stream: an iterator equals it once the stream has ended.
    std::default_sentinel_t end() const noexcept { return {}; }

    /// The response folded from the chunks so far (as stream() returns it, once the loop
    /// ended); before the first step, the metadata of the response head only (`http`).
    const chat_response& response() const noexcept { return source_->response(); }

    /// Whether the stream has ended ([DONE] arrived, or a step threw).
    bool finished() const noexcept { return started_ && current_ == nullptr; }

    /// What basic_client::open_stream() builds a stream from.
    explicit chat_stream(std::unique_ptr<detail::stream_source> source) noexcept
        : source_(std::move(source)) {}

private:
    void advance() {
        started_ = true;
        current_ = nullptr;
        current_ = source_->next();
    }

    std::unique_ptr<detail::stream_source> source_;
    const chat_chunk* current_ = nullptr;
    bool started_ = false;
};

MISTRAL_NAMESPACE_END
