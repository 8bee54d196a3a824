// tests/test_http.cpp: response metadata: headers, request ids, rate limits (every family),
// deprecation.
#include <mistral/http.hpp>

#include "catch.hpp"

using namespace mistral;

TEST_CASE("every x-ratelimit family is parsed, case-insensitively") {
    const http_headers headers{
        {"x-ratelimit-limit-req-minute", "60"},
        {"x-ratelimit-remaining-req-minute", "59"},
        {"X-Ratelimit-Limit-Req-10-Second", "20"},
        {"x-ratelimit-limit-tokens-minute", "500000"},
        {"x-ratelimit-remaining-tokens-minute", " 499000 "},
        {"x-ratelimit-limit-tokens-5-minute", "2000000"},
        {"x-ratelimit-limit-tokens-month", "1000000000"},
        {"x-ratelimit-remaining-tokens-month", "999990000"},
        {"x-ratelimit-tokens-query-cost", "1234"},
        {"x-ratelimit-limit-ocr-pages-minute", "100"},
        {"x-ratelimit-ocr-pages-query-cost", "3"},
        {"x-ratelimit-remaining-req-second", "not-a-number"},
    };
    const rate_limit_info info = parse_rate_limits(headers);
    CHECK(info.find("req", "minute")->limit == 60);
    CHECK(info.find("req", "minute")->remaining == 59);
    CHECK(info.find("req", "10-second")->limit == 20);
    CHECK(info.find("tokens", "minute")->remaining == 499000);
    CHECK(info.find("tokens", "5-minute")->limit == 2000000);
    CHECK(info.find("tokens", "month")->remaining == 999990000);
    CHECK(info.find("ocr-pages", "minute")->limit == 100);
    CHECK(info.tokens_query_cost == 1234);
    CHECK(info.ocr_pages_query_cost == 3);
    REQUIRE(info.find("req", "second") != nullptr);
    CHECK_FALSE(info.find("req", "second")->remaining.has_value());  // malformed: kept empty
    CHECK(info.find("tokens", "hour") == nullptr);
    CHECK_FALSE(info.empty());
}

TEST_CASE("the legacy ratelimitbysize headers are parsed") {
    const rate_limit_info info = parse_rate_limits({{"ratelimitbysize-limit", "600000"},
                                                    {"ratelimitbysize-remaining", "599000"},
                                                    {"ratelimitbysize-reset", "42"},
                                                    {"ratelimitbysize-query-cost", "1000"},
                                                    {"x-ratelimitbysize-limit-minute", "600000"},
                                                    {"x-ratelimitbysize-remaining-month", "1"}});
    CHECK(info.legacy_limit == 600000);
    CHECK(info.legacy_remaining == 599000);
    CHECK(info.legacy_reset_seconds == 42);
    CHECK(info.legacy_query_cost == 1000);
    CHECK(info.find("bysize", "minute")->limit == 600000);
    CHECK(info.find("bysize", "month")->remaining == 1);
    CHECK(parse_rate_limits({{"content-type", "application/json"}}).empty());
}

TEST_CASE("request id, deprecation and header lookup") {
    const response_metadata meta =
        make_response_metadata(200, {{"Mistral-Correlation-Id", "corr-1"},
                                     {"X-Kong-Request-Id", "kong-1"},
                                     {"x-model-deprecation-timestamp", "2026-12-31T00:00:00Z"}});
    CHECK(meta.request_id == "corr-1");
    CHECK(meta.model_deprecation == "2026-12-31T00:00:00Z");
    CHECK(make_response_metadata(200, {{"x-kong-request-id", "kong-2"}}).request_id == "kong-2");
    CHECK(make_response_metadata(200, {{"X-Request-ID", "a"}, {"mistral-correlation-id", "b"}})
              .request_id == "a");
    CHECK(make_response_metadata(200, {}).request_id.empty());

    http_headers h{{"A", "1"}, {"a", "2"}};
    CHECK(h.find("A") == "1");
    h.set("a", "3");
    CHECK(h.size() == 1);
    CHECK(h.find("A") == "3");
    h.erase("A");
    CHECK(h.empty());
    CHECK(iequals("Content-Type", "content-TYPE"));
    CHECK_FALSE(iequals("Content-Type", "Content-Typ"));
}
