// mistral/stream.hpp: stream_accumulator, which folds the chunks of a stream into the response
// the same server would have sent without streaming.
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "detail/config.hpp"
#include "types.hpp"

MISTRAL_NAMESPACE_BEGIN

/// Folds the chunks of a stream into the response a non-streaming call would have returned:
/// content text and thinking concatenated per choice; tool-call pieces joined by their `index`
/// (the first id, type and name that arrive, the argument pieces concatenated in order; a piece
/// without an index is a call of its own), whole or split, parallel calls interleaved in any
/// order; the last finish_reason and usage (a usage-only chunk with no choices included);
/// unknown members kept (string members of a delta, such as a server's reasoning text, are
/// concatenated like content). client::stream() uses it and returns its response; it is also
/// usable by hand:
///
///     mistral::stream_accumulator acc;
///     acc.add(chunk);                       // for every chunk, in order
///     mistral::chat_response r = acc.response();
class stream_accumulator {
public:
    /// An accumulator that folds everything; with keep_content false it keeps only what does
    /// not grow with the stream (ids, usage, finish reasons, unknown members of chunks and
    /// choices), so its memory stays flat however long the stream is.
    explicit stream_accumulator(bool keep_content = true) : keep_content_(keep_content) {}

    /// Folds one chunk in.
    MISTRAL_DECL void add(const chat_chunk& chunk);

    /// The response folded so far.
    MISTRAL_DECL const chat_response& response() const noexcept;
    /// Sets the `http` member of the folded response (the metadata of the response head).
    void set_http(response_metadata meta) { response_.http = std::move(meta); }
    /// Moves the response out; the accumulator is then empty.
    MISTRAL_DECL chat_response take();
    /// The chunks that follow continue the same reply from a new response (a resumed stream):
    /// their usage adds to the usage folded so far, since every response was billed.
    MISTRAL_DECL void begin_continuation();
    /// Number of chunks folded.
    std::size_t chunk_count() const noexcept { return chunks_; }
    /// An estimate of the memory the folded response takes, in bytes: the text, thinking,
    /// tool-call and unknown-member pieces folded in, plus a fixed cost per piece and per
    /// choice; the unknown members of chunks and choices count even when the content is not
    /// kept. client::stream() bounds it by client_options::max_response_size.
    std::size_t folded_size() const noexcept { return folded_size_; }

private:
    // The choice of this index, added when it is new. Found in constant time however many
    // choices there are; a choice that arrives before one of a lower index is put in order when
    // the response is next read (response(), take()), as a non-streamed response lists them.
    MISTRAL_DECL chat_choice& choice_at(std::int64_t index);
    MISTRAL_DECL void sort_choices() const;

    // Replaces (or adds) the unknown member `key` of `into`, counting what it keeps.
    MISTRAL_DECL void keep_member(boost::json::object& into, std::string_view key,
                                  const boost::json::value& value);

    // What folding a delta adds, roughly: its strings, and a fixed cost for each element.
    MISTRAL_DECL static std::size_t piece_size(const delta_message& d);

    MISTRAL_DECL void fold(chat_choice& into, const chunk_choice& c);

    // Adds the token counts of `more` (cached prompt tokens included) to `into`.
    MISTRAL_DECL static void add_tokens(usage_info& into, const usage_info& more);

    // Unknown members of deltas: strings are pieces of a text (concatenated), anything else
    // replaces what came before.
    MISTRAL_DECL static void append_members(boost::json::object& into,
                                            const boost::json::object& piece);

    MISTRAL_DECL static void append_text(std::vector<content_chunk>& list, const std::string& text);

    MISTRAL_DECL static void append_chunk(std::vector<content_chunk>& list,
                                          const content_chunk& chunk);

    // String pieces concatenate; once a chunk list arrives the content becomes a list.
    MISTRAL_DECL static void append_content(assistant_message& message, const content& piece);

    // A piece with the index of a call already seen in its choice continues it (found in
    // constant time); any other piece starts a new call. Argument strings concatenate; arguments
    // sent as an object replace what came before.
    MISTRAL_DECL void merge_tool_call(std::int64_t choice, std::vector<tool_call>& calls,
                                      const tool_call_delta& piece);

    mutable chat_response response_;  // its choices are put in order when read
    mutable std::unordered_map<std::int64_t, std::size_t> choice_positions_;
    mutable bool choices_in_order_ = true;
    // (choice index, call index) -> position of the call in that choice's tool_calls
    std::map<std::pair<std::int64_t, std::int64_t>, std::size_t> call_positions_;
    std::optional<usage_info> billed_before_;  // the usage of the responses a continuation follows
    std::size_t chunks_ = 0;
    std::size_t folded_size_ = 0;
    bool keep_content_ = true;
};

MISTRAL_NAMESPACE_END

#ifndef MISTRAL_SEPARATE_COMPILATION
#include "impl/stream_accumulator.hpp"
#endif
