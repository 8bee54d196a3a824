// tests/test_sse.cpp: the SSE parser against the WHATWG "interpreting an event stream" rules. Every
// case is fed whole, split at every byte offset into two feeds, and one byte at a time.
#include <mistral/sse.hpp>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/allocation_counter.hpp"

using mistral::sse::parser;
using namespace std::string_literals;

namespace {

struct ev {
    std::string type;
    std::string data;
    std::string id;
    std::optional<std::uint64_t> retry;
    bool operator==(const ev&) const = default;
};

std::string printable(std::string_view s) {
    std::string out;
    for (const char c : s) {
        if (c == '\n')
            out += "\\n";
        else if (c == '\r')
            out += "\\r";
        else if (c == '\0')
            out += "\\0";
        else
            out += c;
    }
    return out;
}

std::ostream& operator<<(std::ostream& os, const ev& e) {
    os << "{type=" << e.type << " data=" << printable(e.data);
    os << " id=" << e.id << " retry=" << (e.retry ? std::to_string(*e.retry) : "-") << "}";
    return os;
}

struct result {
    std::vector<ev> events;
    bool clean = false;
    std::optional<std::uint64_t> last_retry;
    bool operator==(const result&) const = default;
};

std::ostream& operator<<(std::ostream& os, const result& r) {
    os << "clean=" << r.clean << " events=[";
    for (const auto& e : r.events) os << e << " ";
    return os << "]";
}

result run(const std::vector<std::string_view>& pieces,
           std::size_t limit = parser::default_max_event_size) {
    parser p(limit);
    result r;
    for (const auto piece : pieces) {
        p.feed(piece, [&](const mistral::sse::event& e) {
            r.events.push_back(
                {std::string(e.type), std::string(e.data), std::string(e.id), e.retry});
        });
    }
    r.last_retry = p.retry();
    r.clean = p.finish();
    return r;
}

// Feeds the input whole, in every two-piece split, and one byte at a time; all must agree with
// the expected events.
void check_every_split(const std::string& input, const std::vector<ev>& expected,
                       bool clean = true) {
    const result want{expected, clean, std::nullopt};
    auto same = [&](const result& got) {
        return got.events == want.events && got.clean == want.clean;
    };
    const result whole = run({input});
    INFO("input: " << printable(input));
    INFO("whole: " << whole);
    CHECK(same(whole));
    for (std::size_t cut = 0; cut <= input.size(); ++cut) {
        const std::string_view in(input);
        const result split = run({in.substr(0, cut), in.substr(cut)});
        if (!same(split)) {
            INFO("split at " << cut << ": " << split);
            CHECK(same(split));
        }
    }
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < input.size(); ++i)
        bytes.push_back(std::string_view(input).substr(i, 1));
    const result bytewise = run(bytes);
    INFO("byte by byte: " << bytewise);
    CHECK(same(bytewise));
}

ev msg(std::string data, std::string id = "", std::optional<std::uint64_t> retry = std::nullopt) {
    return {"message", std::move(data), std::move(id), retry};
}

}  // namespace

TEST_CASE("sse: LF line ends") {
    check_every_split("data: a\n\ndata: b\n\n", {msg("a"), msg("b")});
}

TEST_CASE("sse: CRLF line ends") {
    check_every_split("data: a\r\n\r\ndata: b\r\n\r\n", {msg("a"), msg("b")});
}

TEST_CASE("sse: lone CR line ends") {
    check_every_split("data: a\r\rdata: b\r\r", {msg("a"), msg("b")});
}

TEST_CASE("sse: a CR ending one feed and the LF starting the next are one line end") {
    const result r = run({"data: a\r", "\ndata: b\r", "\n\r", "\n"});
    CHECK(r.events == std::vector<ev>{msg("a\nb")});
    CHECK(r.clean);
}

TEST_CASE("sse: mixed line ends in one event") {
    check_every_split("data: 1\rdata: 2\ndata: 3\r\ndata: 4\n\r\n", {msg("1\n2\n3\n4")});
}

TEST_CASE("sse: a leading UTF-8 BOM is stripped") {
    check_every_split(
        "\xEF\xBB\xBF"
        "data: a\n\n",
        {msg("a")});
}

TEST_CASE("sse: a BOM that is not at the very start is ordinary text") {
    // The second BOM becomes part of the field name, so that line is ignored.
    check_every_split(
        "\xEF\xBB\xBF\xEF\xBB\xBF"
        "data: lost\n\ndata: kept\n\n",
        {msg("kept")});
    check_every_split(
        "data: a\n\n\xEF\xBB\xBF"
        "data: lost\n\n",
        {msg("a")});
    // Bytes that begin like a BOM but are not one stay in the first line.
    check_every_split(
        "\xEF\xBB"
        "data: x\n\ndata: y\n\n",
        {msg("y")});
}

TEST_CASE("sse: comment lines are ignored") {
    check_every_split(": keep-alive\n:\ndata: a\n: between\n\n:x\r\n:y\r:\0z\n\n"s, {msg("a")});
}

TEST_CASE("sse: a field without a colon has an empty value") {
    check_every_split("data\n\n", {msg("")});
    check_every_split("data\ndata\n\n", {msg("\n")});
    check_every_split("event\ndata: x\n\n", {msg("x")});
}

TEST_CASE("sse: exactly one leading space is removed from the value") {
    check_every_split("data:no-space\n\n", {msg("no-space")});
    check_every_split("data:  two\n\n", {msg(" two")});
    check_every_split("data:\ttab\n\n", {msg("\ttab")});
    check_every_split("data: trailing  \n\n", {msg("trailing  ")});
    check_every_split("data: a: b\n\n", {msg("a: b")});
}

TEST_CASE("sse: data lines are joined with LF") {
    check_every_split("data: first\ndata:\ndata: third\n\n", {msg("first\n\nthird")});
}

TEST_CASE("sse: a blank line dispatches, and a block without data dispatches nothing") {
    check_every_split("event: only-type\n\nid: 5\n\nretry: 10\n\ndata: x\n\n",
                      {msg("x", "5", std::nullopt)});
    check_every_split("\n\n\ndata: a\n\n\n\n\ndata: b\n\n\n", {msg("a"), msg("b")});
}

TEST_CASE("sse: an empty data field dispatches an event with empty data") {
    // The standard's own example: "" then "\n", and the unterminated last block is dropped.
    check_every_split("data\n\ndata\ndata\n\ndata:", {msg(""), msg("\n")}, false);
}

TEST_CASE("sse: the event type defaults to message and resets after each block") {
    check_every_split(
        "event: add\ndata: 1\n\ndata: 2\n\nevent: gone\n\ndata: 3\n\nevent:\ndata: 4\n\n",
        {{"add", "1", "", {}}, msg("2"), msg("3"), msg("4")});
    check_every_split("event: a\nevent: b\ndata: x\n\n", {{"b", "x", "", {}}});
}

TEST_CASE("sse: the last event id persists and an id with NUL is ignored") {
    check_every_split("id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 7\n\ndata: d\n\n",
                      {msg("a", "1"), msg("b", "1"), msg("c", ""), msg("d", "7")});
    check_every_split("id: 3\ndata: a\n\nid: x\0y\ndata: b\n\nid: \0\ndata: c\n\n"s,
                      {msg("a", "3"), msg("b", "3"), msg("c", "3")});
    check_every_split("id: one two:three\ndata: a\n\n", {msg("a", "one two:three")});
}

TEST_CASE("sse: an id field without a value (found by the fuzzer under UBSan)") {
    check_every_split("id\n\n: x\0y\ndata: nul\n\n"s, {msg("nul")});
}

TEST_CASE("sse: retry counts only when it is all ASCII digits") {
    check_every_split("retry: 1500\ndata: a\n\ndata: b\n\n", {msg("a", "", 1500), msg("b")});
    for (const char* bad :
         {"retry: 1a\n", "retry: +5\n", "retry:  10\n", "retry: 10 \n", "retry:\n", "retry: -1\n",
          "retry: 1.5\n", "retry: 18446744073709551616\n", "retry: \xD9\xA3\n"}) {
        INFO(bad);
        check_every_split(std::string(bad) + "data: x\n\n", {msg("x")});
        CHECK_FALSE(run({std::string(bad) + "data: x\n\n"}).last_retry.has_value());
    }
    check_every_split("retry: 18446744073709551615\ndata: x\n\n",
                      {msg("x", "", 18446744073709551615u)});
    const result r = run({"retry: 5\n\nretry: x\ndata: a\n\n"});
    CHECK(r.last_retry == 5u);
    CHECK(r.events == std::vector<ev>{msg("a")});
}

TEST_CASE("sse: unknown fields are ignored and names are case-sensitive") {
    check_every_split("foo: bar\nData: no\ndata : no\n data: no\n \ndata: yes\n\n", {msg("yes")});
}

TEST_CASE("sse: an unterminated event at the end of input is discarded") {
    check_every_split("data: a\n\ndata: b\n", {msg("a")}, false);
    check_every_split("data: a\n\ndata: b", {msg("a")}, false);
    check_every_split("data: [DONE]\n", {}, false);
    check_every_split("data: a\n\n: trailing comment", {msg("a")}, false);
    check_every_split("data: a\n\nid: 4\n", {msg("a")}, false);
    check_every_split("data: a\r\n\r\n", {msg("a")}, true);
    check_every_split("data: a\r\r", {msg("a")}, true);
    check_every_split("", {}, true);
    check_every_split("\xEF\xBB", {}, false);
}

TEST_CASE("sse: pending_event() shows what finish() would discard, and changes nothing") {
    // For every split of each input into two feeds, the pending event is the same.
    struct expectation {
        std::string input;
        std::optional<ev> pending;
    };
    const std::vector<expectation> cases = {
        {"data: [DONE]\n", ev{"message", "[DONE]", "", std::nullopt}},
        {"id: 3\nevent: x\ndata: a\r\ndata: b\rretry: 9\n", ev{"x", "a\nb", "3", 9}},
        {"data: [DONE]", std::nullopt},      // the line itself is unfinished
        {"data: a\ndata: b", std::nullopt},  // so is its last line
        {"event: x\n", std::nullopt},        // a block without data
        {"data: a\n\n", std::nullopt},       // dispatched: nothing is pending
        {"data: a\n\ndata: b\n", ev{"message", "b", "", std::nullopt}},
    };
    for (const auto& c : cases) {
        for (std::size_t at = 0; at <= c.input.size(); ++at) {
            INFO(printable(c.input) << " split at " << at);
            parser p;
            std::vector<ev> dispatched;
            auto collect = [&](const mistral::sse::event& e) {
                dispatched.push_back(
                    {std::string(e.type), std::string(e.data), std::string(e.id), e.retry});
            };
            p.feed(std::string_view(c.input).substr(0, at), collect);
            p.feed(std::string_view(c.input).substr(at), collect);
            const auto pending = p.pending_event();
            REQUIRE(pending.has_value() == c.pending.has_value());
            if (pending) {
                CHECK(ev{std::string(pending->type), std::string(pending->data),
                         std::string(pending->id), pending->retry} == *c.pending);
            }
            // Still exact: the pending event is dispatched by a blank line, discarded by finish().
            const std::size_t before = dispatched.size();
            p.feed("\n", collect);
            CHECK(dispatched.size() == before + (c.pending ? 1 : 0));
        }
    }
    parser p;
    p.feed("data: x\n", [](const mistral::sse::event&) { FAIL("dispatched"); });
    CHECK(p.pending_event().has_value());
    CHECK_FALSE(p.finish());
    CHECK_FALSE(p.pending_event().has_value());
}

TEST_CASE("sse: NUL and Unicode line separators are ordinary data") {
    check_every_split("data: a\0b\n\n"s, {msg("a\0b"s)});
    check_every_split("data: x\xE2\x80\xA8y\xC2\x85z\vw\fv\n\n",
                      {msg("x\xE2\x80\xA8y\xC2\x85z\vw\fv")});
}

TEST_CASE("sse: realistic Mistral stream") {
    const std::string stream =
        R"(data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})"
        "\n\n"
        R"(data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hé 巴黎 🎉"},"finish_reason":null}]})"
        "\n\n"
        "data: [DONE]\n\n";
    const result r = run({stream});
    REQUIRE(r.events.size() == 3);
    CHECK(r.events[2].data == "[DONE]");
    std::vector<ev> expected = r.events;
    check_every_split(stream, expected);
}

TEST_CASE("sse: a line longer than the limit is an error in every feeding mode") {
    const std::size_t limit = 64;
    const std::string long_line = "data: " + std::string(limit, 'x') + "\n\n";
    CHECK_THROWS_AS(run({long_line}, limit), mistral::sse::size_limit_error);
    CHECK_THROWS_AS(
        run({std::string_view(long_line).substr(0, 10), std::string_view(long_line).substr(10)},
            limit),
        mistral::sse::size_limit_error);
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < long_line.size(); ++i)
        bytes.push_back(std::string_view(long_line).substr(i, 1));
    CHECK_THROWS_AS(run(bytes, limit), mistral::sse::size_limit_error);
    // An unterminated long line is caught before it is complete.
    CHECK_THROWS_AS(run({"data: " + std::string(limit, 'y')}, limit),
                    mistral::sse::size_limit_error);
    // Many short data lines that join past the limit.
    std::string many;
    for (int i = 0; i < 20; ++i) many += "data: 0123456789\n";
    CHECK_THROWS_AS(run({many + "\n"}, limit), mistral::sse::size_limit_error);
    // Exactly at the limit is fine.
    const std::string at_limit = "data:" + std::string(limit - 5, 'z') + "\n\n";
    CHECK(run({at_limit}, limit).events.size() == 1);
    // Comments are skipped without being kept, so they have no limit.
    const std::string comment = ":" + std::string(limit * 4, 'c') + "\ndata: ok\n\n";
    CHECK(run({comment}, limit).events == std::vector<ev>{msg("ok")});
    CHECK(run({std::string_view(comment).substr(0, 3), std::string_view(comment).substr(3)}, limit)
              .events == std::vector<ev>{msg("ok")});
    try {
        run({long_line}, limit);
    } catch (const mistral::sse::size_limit_error& e) {
        CHECK(e.limit() == limit);
        CHECK(std::string(e.what()) == "server-sent event larger than the limit of 64 bytes");
    }
}

TEST_CASE("sse: views point into the fed bytes when the event lies in one feed") {
    const std::string input = "event: ping\ndata: payload\n\ndata: x\ndata: y\n\n";
    parser p;
    std::vector<bool> inside;
    p.feed(input, [&](const mistral::sse::event& e) {
        const auto in_input = [&](std::string_view v) {
            return v.data() >= input.data() && v.data() + v.size() <= input.data() + input.size();
        };
        inside.push_back(in_input(e.data) && (e.type == "message" || in_input(e.type)));
    });
    // The first event is a pure view; the second has two data lines, joined in the parser.
    CHECK(inside == std::vector<bool>{true, false});
}

TEST_CASE("sse: a warm parser does not allocate per event") {
    std::string chunk;
    for (int i = 0; i < 100; ++i) {
        chunk +=
            R"(data: {"id":"cmpl-e5cc70bb28c444948073e77776eb30ef","choices":[{"index":0,"delta":{"content":"token number )" +
            std::to_string(i) +
            R"("}}]})"
            "\n\n";
    }
    chunk += "event: multi\ndata: line one\ndata: line two\nid: 9\n\n";
    parser p;
    std::size_t events = 0;
    std::size_t bytes = 0;
    auto on_event = [&](const mistral::sse::event& e) {
        ++events;
        bytes += e.data.size();
    };
    // Warm up with the same traffic split at awkward places, then count.
    for (std::size_t piece : {7u, 64u, 16384u}) {
        for (std::size_t at = 0; at < chunk.size(); at += piece) {
            p.feed(std::string_view(chunk).substr(at, piece), on_event);
        }
    }
    const auto before = mistral::test::allocation_count();
    for (std::size_t piece : {7u, 64u, 16384u}) {
        for (std::size_t at = 0; at < chunk.size(); at += piece) {
            p.feed(std::string_view(chunk).substr(at, piece), on_event);
        }
    }
    CHECK(mistral::test::allocation_count() - before == 0);
    CHECK(events == 6 * 101);
    CHECK(bytes > 0);
}

TEST_CASE("sse: a huge line fed one byte at a time is linear") {
    // Quadratic rescanning would make this take hours; the test's timeout is the guard.
    const std::string line = "data: " + std::string(std::size_t{2} << 20, 'a') + "\n\n";
    parser p(std::size_t{4} << 20);
    std::size_t size = 0;
    for (const char c : line) {
        p.feed(std::string_view(&c, 1),
               [&](const mistral::sse::event& e) { size = e.data.size(); });
    }
    CHECK(size == (std::size_t{2} << 20));
}

// ---------------------------------------------------------------------------------------------
// Differential test against a deliberately simple reference parser
// ---------------------------------------------------------------------------------------------

namespace {

// Straight from the standard's prose: strip one BOM, split into lines, process each line.
result reference_parse(std::string s) {
    if (s.rfind("\xEF\xBB\xBF", 0) == 0) s.erase(0, 3);
    std::vector<std::string> lines;
    std::string current;
    bool open_line = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r' || s[i] == '\n') {
            if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
            lines.push_back(current);
            current.clear();
            open_line = false;
        } else {
            current += s[i];
            open_line = true;
        }
    }
    result r;
    std::string data, type, id;
    bool has_data = false, started = false;
    std::optional<std::uint64_t> retry;
    for (const std::string& line : lines) {
        if (line.empty()) {
            if (has_data) {
                data.pop_back();
                r.events.push_back({type.empty() ? "message" : type, data, id, retry});
            }
            data.clear();
            type.clear();
            has_data = started = false;
            retry.reset();
            continue;
        }
        if (line[0] == ':') continue;
        started = true;
        const auto colon = line.find(':');
        std::string name = line.substr(0, colon);
        std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
        if (!value.empty() && value[0] == ' ') value.erase(0, 1);
        if (name == "data") {
            data += value + "\n";
            has_data = true;
        } else if (name == "event") {
            type = value;
        } else if (name == "id") {
            if (value.find('\0') == std::string::npos) id = value;
        } else if (name == "retry") {
            bool digits = !value.empty();
            for (const char c : value) digits = digits && c >= '0' && c <= '9';
            if (digits &&
                (value.size() < 20 || (value.size() == 20 && value <= "18446744073709551615"))) {
                retry = std::stoull(value);
                r.last_retry = retry;
            }
        }
    }
    const bool bom_prefix =
        !s.empty() && s.size() < 3 && std::string("\xEF\xBB\xBF").rfind(s, 0) == 0;
    r.clean = !open_line && !started && !bom_prefix;
    return r;
}

std::string random_stream(std::mt19937& rng) {
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    static const char* const names[] = {"data",  "data", "data", "event", "id",
                                        "retry", "foo",  "Data", ""};
    static const char* const values[] = {"x",
                                         "",
                                         " ",
                                         "a:b",
                                         "{\"k\":\"v\"}",
                                         "12",
                                         "007",
                                         "18446744073709551616",
                                         "\xE2\x80\xA8",
                                         "\xEF\xBB\xBF",
                                         "[DONE]",
                                         "z\0z",
                                         "  two"};
    static const char* const ends[] = {"\n", "\r\n", "\r"};
    std::string s;
    if (pick(4) == 0) s += "\xEF\xBB\xBF";
    const int lines = pick(30);
    for (int i = 0; i < lines; ++i) {
        switch (pick(6)) {
            case 0:
                break;  // blank line
            case 1:
                s += ":";
                s += values[pick(13)];
                break;
            case 2:
                s += names[pick(9)];
                break;  // no colon
            default: {
                s += names[pick(9)];
                s += pick(2) ? ": " : ":";
                const std::string v = values[pick(13)];
                s += pick(5) == 0 ? std::string("z\0z", 3) : v;
            }
        }
        if (i + 1 < lines || pick(3)) s += ends[pick(3)];
    }
    if (pick(10) == 0) s.resize(s.size() > 0 ? rng() % s.size() : 0);
    if (pick(20) == 0) s = std::string("\xEF\xBB\xBF").substr(0, 1 + pick(2));
    return s;
}

}  // namespace

TEST_CASE("sse: random streams match the reference parser at random splits") {
    std::mt19937 rng(20261125);
    for (int iteration = 0; iteration < 3000; ++iteration) {
        const std::string input = random_stream(rng);
        const result expected = reference_parse(input);
        std::vector<std::string_view> pieces;
        for (std::size_t at = 0; at < input.size();) {
            const std::size_t n = 1 + rng() % 12;
            pieces.push_back(std::string_view(input).substr(at, n));
            at += n;
        }
        const result got = run(pieces);
        if (!(got == expected)) {
            INFO("iteration " << iteration << " input " << printable(input));
            INFO("expected " << expected);
            INFO("got " << got);
            CHECK(got == expected);
        }
        CHECK(run({input}) == expected);
    }
}

TEST_CASE("sse: fields the standard ignores reach on_field, at every split, and change nothing") {
    const std::string stream =
        "error: {\"code\":500}\n: a comment\nfoo\ndata: a\nbar: baz\r\n\r\nid: 1\ndata: b\n\n";
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        parser p;
        std::vector<std::string> fields;
        std::vector<std::string> data;
        auto on_event = [&](const mistral::sse::event& e) { data.emplace_back(e.data); };
        auto on_field = [&](std::string_view name, std::string_view value) {
            fields.push_back(std::string(name) + "=" + std::string(value));
        };
        p.feed(std::string_view(stream).substr(0, cut), on_event, on_field);
        p.feed(std::string_view(stream).substr(cut), on_event, on_field);
        INFO("cut at " << cut);
        CHECK(fields == std::vector<std::string>{"error={\"code\":500}", "foo=", "bar=baz"});
        CHECK(data == std::vector<std::string>{"a", "b"});
    }
}
