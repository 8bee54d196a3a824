// test_compat.cpp: streams shaped like every server family that speaks this protocol (the
// official API, OpenAI-compatible servers, vLLM, llama.cpp, gateways, n > 1), each folded by
// hand, through the mock (whole, split at every byte, one byte at a time) and over loopback
// through the real default transport. Each must fold to the response the same server would have
// sent without streaming, convert to the same JSON, and give a next request that carries exactly
// the assistant message (and nothing the server sent as null).
//
// The fixtures are in tests/fixtures/streams: NAME.sse (the body, byte for byte), NAME.response
// .json (the equivalent non-streamed response, with the nulls such servers send) and
// NAME.message.json (the assistant message of choice 0 as it must be sent back). Two deliberate
// differences from what the servers send unstreamed: a streamed call keeps the `index` the
// stream gave it (it is part of Mistral's ToolCall), and the official API's `prefix: false` is
// absent (a stream never sends it).
#include <mistral/mistral.hpp>
#include <mistral/testing.hpp>

#include <boost/json/serialize.hpp>

#include <string>
#include <vector>

#include "catch.hpp"
#include "fixtures.hpp"
#include "stream_families.hpp"
#include "support/fake_server.hpp"
#include "support/loopback.hpp"

namespace json = boost::json;
using namespace mistral;

namespace {

using test::stream_families;
using family = test::stream_family;

std::string stream_body(const family& f) {
    return test::read_fixture(std::string("streams/") + f.name + ".sse");
}

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}

// Whether a request body holds a null the library wrote without being asked: only the content
// of user and tool messages may be null (the API requires the member).
bool has_stray_null(const json::value& v) {
    if (const auto* obj = v.if_object()) {
        const auto* role = obj->if_contains("role");
        const bool content_required = role != nullptr && (*role == "user" || *role == "tool");
        for (const auto& kv : *obj) {
            if (kv.value().is_null() && !(kv.key() == "content" && content_required)) return true;
            if (has_stray_null(kv.value())) return true;
        }
    } else if (const auto* arr = v.if_array()) {
        for (const auto& item : *arr) {
            if (has_stray_null(item)) return true;
        }
    }
    return false;
}

const char* question = test::family_question;

// The same turn written from the fixture's JSON alone.
json::value expected_next_request(const family& f) {
    const json::value message =
        test::fixture_json(std::string("streams/") + f.name + ".message.json");
    json::array messages{json::object{{"role", "user"}, {"content", question}}, message};
    if (const auto* calls = message.as_object().if_contains("tool_calls")) {
        for (const auto& call : calls->as_array()) {
            const auto& name = call.at("function").at("name").as_string();
            messages.push_back(json::object{{"role", "tool"},
                                            {"content", "result of " + std::string(name)},
                                            {"tool_call_id", call.at("id")},
                                            {"name", name}});
        }
    }
    return json::object{{"model", "mistral-small-latest"}, {"messages", std::move(messages)}};
}

// Everything a folded stream of this family must be.
void check_folded(const family& f, const chat_response& folded) {
    INFO(f.name << ": " << f.description);
    const std::string prefix = std::string("streams/") + f.name;
    const auto unstreamed = from_json<chat_response>(test::read_fixture(prefix + ".response.json"));
    CHECK(json::value_from(folded) == json::value_from(unstreamed));
    CHECK(folded.text() == unstreamed.text());
    const message reply = folded.choices.at(0).message;
    CHECK(to_json(reply) == trimmed(test::read_fixture(prefix + ".message.json")));
    const json::value next = json::value_from(test::next_request(folded.choices.at(0).message));
    CHECK(next == expected_next_request(f));
    CHECK_FALSE(has_stray_null(next));
}

chat_response fold_by_hand(const std::string& body) {
    stream_accumulator acc;
    sse::parser parser;
    parser.feed(body, [&](const sse::event& e) {
        if (e.data != "[DONE]") acc.add(from_json<chat_chunk>(e.data));
    });
    return acc.take();
}

chat_response stream_through_mock(std::vector<std::string> pieces,
                                  std::string* streamed = nullptr) {
    testing::mock_transport mock;
    mock.enqueue(
        {.headers = {{"Content-Type", "text/event-stream"}}, .body_pieces = std::move(pieces)});
    basic_client<testing::mock_transport> client{{.api_key = "test"}, mock};
    return client.stream({.model = "m", .messages = {user(question)}},
                         [&](const chat_chunk& chunk) {
                             // The safe forms: a usage-only chunk has no choice.
                             if (streamed != nullptr) *streamed += chunk.text();
                         });
}

}  // namespace

TEST_CASE("compat: each server family folds by hand with stream_accumulator") {
    for (const family& f : stream_families) check_folded(f, fold_by_hand(stream_body(f)));
}

TEST_CASE("compat: each server family through the mock, whole and split at every byte") {
    for (const family& f : stream_families) {
        const std::string body = stream_body(f);
        std::string streamed;
        const chat_response whole = stream_through_mock({body}, &streamed);
        check_folded(f, whole);
        CHECK(streamed == whole.text());

        const std::string expected = to_json(whole);
        std::vector<std::string> bytes;
        for (const char c : body) bytes.emplace_back(1, c);
        CHECK(to_json(stream_through_mock(bytes)) == expected);
        for (std::size_t at = 1; at < body.size(); ++at) {
            INFO(f.name << " split at byte " << at);
            const chat_response split = stream_through_mock({body.substr(0, at), body.substr(at)});
            if (to_json(split) != expected)
                CHECK(to_json(split) == expected);  // one report per failure
        }
    }
}

TEST_CASE("compat: each server family over loopback through the default transport") {
    test::fake_server server;
    client c(test::options_for(server.base_url()));
    for (const family& f : stream_families) {
        const std::string body = stream_body(f);
        // Written in pieces of 7 bytes, so that events and lines straddle the reads.
        std::vector<std::string> writes;
        for (std::size_t at = 0; at < body.size(); at += 7) writes.push_back(body.substr(at, 7));
        server.script(test::faults::raw_stream(server, writes));
        std::string streamed;
        const chat_response r = c.stream(
            test::question(question), [&](const chat_chunk& chunk) { streamed += chunk.text(); });
        check_folded(f, r);
        CHECK(streamed == r.text());
        CHECK(r.http.status == 200);
    }
}
