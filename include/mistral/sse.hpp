// mistral/sse.hpp: an incremental, zero-copy parser for the Server-Sent Events format, exactly
// as the WHATWG HTML standard defines "interpreting an event stream".
// SPDX-License-Identifier: MIT
//
// It depends on the standard library only (and detail/config.hpp, the build requirements), so it
// can be used on its own for any event stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#include <emmintrin.h>
#include <bit>
#define MISTRAL_SSE_USE_SSE2 1
#endif

#include "detail/config.hpp"

MISTRAL_NAMESPACE_BEGIN
namespace sse {

/// One dispatched event. The views point into the bytes given to parser::feed() (or into the
/// parser's own buffers when an event spans several feeds) and are valid only during the
/// callback that receives the event: copy what you need to keep.
struct event {
    /// The event type: the last `event` field of the block, or "message" when none was given or
    /// it was empty.
    std::string_view type;
    /// The `data` fields of the block joined with "\n". May be empty: a block with a `data`
    /// field whose value is empty dispatches an event with empty data.
    std::string_view data;
    /// The last-event-ID buffer at dispatch: the value of the most recent `id` field seen in the
    /// stream so far (in this block or an earlier one), "" if none. An `id` containing NUL is
    /// ignored; `id` with an empty value resets it to "".
    std::string_view id;
    /// A valid `retry` field (ASCII digits only, fits in 64 bits) given in this event's block.
    std::optional<std::uint64_t> retry;
};

/// Thrown by parser::feed() when a field line or an event's data grows past the parser's size
/// limit, so that a broken or hostile server cannot make the parser buffer without bound.
/// After it is thrown the parser must be reset() before it is used again.
class size_limit_error : public std::runtime_error {
public:
    /// The error for a line or an event longer than `limit` bytes.
    explicit size_limit_error(std::size_t limit)
        : std::runtime_error("server-sent event larger than the limit of " + std::to_string(limit) +
                             " bytes"),
          limit_(limit) {}
    /// The limit that was exceeded, in bytes.
    std::size_t limit() const noexcept { return limit_; }

private:
    std::size_t limit_;
};

namespace detail {

// A field of the block being parsed: a view into the fed bytes while it can be, a copy of its
// own once it must outlive them (the feed ends) or grow (several data lines). The copy's
// capacity is kept, so a warm parser does not allocate.
class view_or_copy {
public:
    void point_to(std::string_view bytes) noexcept {
        view_ = bytes;
        owned_ = false;
    }
    // Copies the viewed bytes (once) and returns the copy, to keep or to append to.
    std::string& own() {
        if (!owned_) {
            copy_.assign(view_);
            owned_ = true;
        }
        return copy_;
    }
    std::string_view get() const noexcept { return owned_ ? std::string_view(copy_) : view_; }
    void clear() noexcept {
        view_ = {};
        copy_.clear();
        owned_ = false;
    }

private:
    std::string_view view_;
    std::string copy_;
    bool owned_ = false;
};

}  // namespace detail

/// The incremental event-stream parser.
///
/// Feed it the body of a `text/event-stream` response in pieces of any size; it calls back once
/// per dispatched event. It follows the WHATWG rules exactly: lines end at CRLF, LF or a lone CR
/// (also when a CR ends one feed and the LF starts the next); one UTF-8 BOM is stripped at the
/// very start of the stream only; `:` lines are comments; a line without a colon is a field with
/// an empty value; one space after the colon is removed; `data` lines are joined with LF; a
/// blank line dispatches; a block without `data` dispatches nothing; the event type resets after
/// each block; the last event ID persists; `retry` counts only when it is all ASCII digits;
/// unknown fields are ignored (a caller may see them: feed()'s on_field); an unterminated event
/// at the end of input is discarded.
///
/// Cost: every byte is examined once (an SSE2 or memchr scan for line ends); event data is
/// handed out as views into the fed bytes and copied only when an event is still incomplete at
/// the end of a feed or has several `data` lines; buffers are reused, so a warm parser does not
/// allocate per event.
///
/// Not thread-safe: one parser per stream.
class parser {
public:
    /// Default limit for one field line and for one event's joined data: 4 MiB.
    static constexpr std::size_t default_max_event_size = std::size_t{4} << 20;

    /// Creates a parser that throws size_limit_error when a field line or an event's data is
    /// longer than max_event_size bytes. Comment lines are skipped without being buffered and
    /// have no limit.
    explicit parser(std::size_t max_event_size = default_max_event_size) noexcept
        : max_size_(max_event_size) {}

    /// Parses the next piece of the stream and calls on_event(const event&) for every event it
    /// completes, in order. Throws size_limit_error (see the constructor) and whatever on_event
    /// throws; after an exception the parser must be reset() before it is used again.
    template <class OnEvent>
    void feed(std::string_view bytes, OnEvent&& on_event) {
        feed(bytes, on_event, [](std::string_view, std::string_view) {});
    }

    /// feed(), and on_field(std::string_view name, std::string_view value) for every field line
    /// the standard ignores (a name other than data, event, id and retry), at once, as it is
    /// parsed: for servers that put something in such a line (llama.cpp's `error: {...}`). The
    /// views are valid during the call only.
    template <class OnEvent, class OnField>
    void feed(std::string_view bytes, OnEvent&& on_event, OnField&& on_field) {
        const char* p = bytes.data();
        const char* const end = p + bytes.size();
        if (p == end) return;
        if (bom_matched_ < bom_done) {
            p = skip_bom(p, end);
            if (p == end) return;
        }
        if (skip_lf_) {
            skip_lf_ = false;
            if (*p == '\n' && ++p == end) return;
        }
        if (partial_) {
            // Finish the line that straddles the previous feed: only its bytes are copied.
            const char* eol = find_line_end(p, end);
            append_partial(p, eol);
            if (eol == end) return;
            partial_ = false;
            if (!discard_partial_) process_line(carry_, on_event, on_field);
            discard_partial_ = false;
            p = after_line_end(eol, end);
        }
        const char* tail = nullptr;
        while (p != end) {
            const char* eol = find_line_end(p, end);
            if (eol == end) {
                tail = p;
                break;
            }
            process_line(std::string_view(p, static_cast<std::size_t>(eol - p)), on_event,
                         on_field);
            p = after_line_end(eol, end);
        }
        // Views into this feed (or into carry_) die with it: keep an incomplete event's fields.
        if (has_data_) data_.own();
        type_.own();
        if (tail != nullptr) start_partial(tail, end);
    }

    /// Ends the input. Never dispatches: as the standard requires, an event whose block was not
    /// ended by a blank line is discarded. Returns true if nothing was pending (no partial line,
    /// no undispatched field), false if input was discarded. The last event ID and retry value
    /// are kept; call reset() to start a new stream.
    bool finish() noexcept {
        const bool bom_pending = bom_matched_ > 0 && bom_matched_ < bom_done;
        const bool clean = !partial_ && !block_started_ && !bom_pending;
        partial_ = false;
        discard_partial_ = false;
        skip_lf_ = false;
        clear_block();
        return clean;
    }

    /// Returns the parser to its initial state for a new stream (buffers keep their capacity).
    void reset() noexcept {
        finish();
        bom_matched_ = 0;
        last_id_.clear();
        last_retry_.reset();
        carry_.clear();
    }

    /// The event a blank line would dispatch now, when the input so far ends at a line end and
    /// the block has a `data` field; nullopt otherwise (no data yet, or a line is unfinished).
    /// It dispatches nothing and changes nothing: it lets a caller see what finish() is about to
    /// discard. The views are valid until the next feed(), finish() or reset().
    std::optional<event> pending_event() const noexcept {
        if (partial_ || !has_data_) return std::nullopt;
        return block_event();
    }

    /// The last valid `retry` value seen in the stream, if any.
    std::optional<std::uint64_t> retry() const noexcept { return last_retry_; }

    /// The last-event-ID buffer: the value of the most recent valid `id` field.
    std::string_view last_event_id() const noexcept { return last_id_; }

    /// The configured limit, in bytes.
    std::size_t max_event_size() const noexcept { return max_size_; }

private:
    static constexpr unsigned char bom[3] = {0xEF, 0xBB, 0xBF};
    static constexpr int bom_done = 3;

    // Finds the first CR or LF in [p, end), or end.
    static const char* find_line_end(const char* p, const char* end) noexcept {
#ifdef MISTRAL_SSE_USE_SSE2
        const __m128i lf = _mm_set1_epi8('\n');
        const __m128i cr = _mm_set1_epi8('\r');
        while (end - p >= 16) {
            const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
            const auto mask = static_cast<unsigned>(
                _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr))));
            if (mask != 0) return p + std::countr_zero(mask);
            p += 16;
        }
        for (; p != end; ++p) {
            if (*p == '\n' || *p == '\r') return p;
        }
        return end;
#else
        const auto n = static_cast<std::size_t>(end - p);
        const void* lf = std::memchr(p, '\n', n);
        const char* stop = lf ? static_cast<const char*>(lf) : end;
        const void* cr = std::memchr(p, '\r', static_cast<std::size_t>(stop - p));
        return cr ? static_cast<const char*>(cr) : stop;
#endif
    }

    // Steps over the line terminator at eol; a CR that ends the feed may be the first half of a
    // CRLF, so the LF that may start the next feed is remembered for skipping.
    const char* after_line_end(const char* eol, const char* end) noexcept {
        if (*eol == '\n') return eol + 1;
        if (eol + 1 == end) {
            skip_lf_ = true;
            return end;
        }
        return eol[1] == '\n' ? eol + 2 : eol + 1;
    }

    // Strips the UTF-8 BOM at the very start of the stream, byte by byte across feeds. Bytes
    // that began to match but turn out not to be a BOM are ordinary text of the first line.
    const char* skip_bom(const char* p, const char* end) {
        while (bom_matched_ < bom_done && p != end) {
            if (static_cast<unsigned char>(*p) != bom[bom_matched_]) {
                if (bom_matched_ > 0) {
                    carry_.assign(reinterpret_cast<const char*>(bom),
                                  static_cast<std::size_t>(bom_matched_));
                    partial_ = true;
                }
                bom_matched_ = bom_done;
                return p;
            }
            ++bom_matched_;
            ++p;
        }
        return p;
    }

    void start_partial(const char* p, const char* end) {
        partial_ = true;
        discard_partial_ = *p == ':';
        carry_.clear();
        append_partial(p, end);
    }

    void append_partial(const char* p, const char* end) {
        if (discard_partial_) return;
        const auto n = static_cast<std::size_t>(end - p);
        if (carry_.size() + n > max_size_) throw size_limit_error(max_size_);
        carry_.append(p, n);
    }

    template <class OnEvent, class OnField>
    void process_line(std::string_view line, OnEvent& on_event, OnField& on_field) {
        if (line.empty()) {
            dispatch(on_event);
            return;
        }
        if (line.front() == ':') return;
        if (line.size() > max_size_) throw size_limit_error(max_size_);
        block_started_ = true;
        // Nearly every line of a chat stream is "data: ...": recognise it without a search.
        if (line.size() >= 5 && std::memcmp(line.data(), "data:", 5) == 0) {
            std::string_view value = line.substr(5);
            if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
            append_data(value);
            return;
        }
        std::string_view name = line;
        std::string_view value;
        if (const void* colon = std::memchr(line.data(), ':', line.size())) {
            const auto at = static_cast<std::size_t>(static_cast<const char*>(colon) - line.data());
            name = line.substr(0, at);
            value = line.substr(at + 1);
            if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        }
        switch (name.size()) {
            case 2:
                if (name == "id" && value.find('\0') == std::string_view::npos) {
                    last_id_.assign(value);
                }
                break;
            case 4:
                if (name == "data") append_data(value);
                break;
            case 5:
                if (name == "event") {
                    type_.point_to(value);
                } else if (name == "retry") {
                    set_retry(value);
                }
                break;
            default:
                break;
        }
        if (!known_field(name)) on_field(name, value);
    }

    static bool known_field(std::string_view name) noexcept {
        return name == "data" || name == "event" || name == "id" || name == "retry";
    }

    void append_data(std::string_view value) {
        if (!has_data_) {
            has_data_ = true;
            data_.point_to(value);
            return;
        }
        std::string& joined = data_.own();
        if (joined.size() + 1 + value.size() > max_size_) throw size_limit_error(max_size_);
        joined.push_back('\n');
        joined.append(value);
    }

    void set_retry(std::string_view value) noexcept {
        if (value.empty()) return;
        std::uint64_t n = 0;
        for (const char c : value) {
            if (c < '0' || c > '9') return;
            const auto digit = static_cast<std::uint64_t>(c - '0');
            if (n > (UINT64_MAX - digit) / 10) return;  // too large to be a delay: ignored
            n = n * 10 + digit;
        }
        block_retry_ = n;
        last_retry_ = n;
    }

    template <class OnEvent>
    void dispatch(OnEvent& on_event) {
        if (has_data_) {
            // Resets the block even when the callback throws, so no stale field leaks onward.
            struct block_guard {
                parser& self;
                ~block_guard() { self.clear_block(); }
            } guard{*this};
            on_event(block_event());
            return;
        }
        clear_block();
    }

    // The event of the current block, as dispatch() hands it out.
    event block_event() const noexcept {
        const std::string_view type = type_.get();
        return {type.empty() ? std::string_view("message") : type, data_.get(), last_id_,
                block_retry_};
    }

    void clear_block() noexcept {
        has_data_ = false;
        data_.clear();
        type_.clear();
        block_retry_.reset();
        block_started_ = false;
    }

    std::size_t max_size_;
    std::string carry_;          // the part of a line that straddles feeds
    detail::view_or_copy data_;  // the joined data of the current block
    detail::view_or_copy type_;  // its event type
    std::string last_id_;
    std::optional<std::uint64_t> block_retry_;
    std::optional<std::uint64_t> last_retry_;
    int bom_matched_ = 0;
    bool partial_ = false;
    bool discard_partial_ = false;
    bool skip_lf_ = false;
    bool has_data_ = false;
    bool block_started_ = false;
};

}  // namespace sse
MISTRAL_NAMESPACE_END
