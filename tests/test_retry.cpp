// tests/test_retry.cpp: retry policy pieces: Retry-After parsing, backoff, what is retried.
#include <mistral/retry.hpp>

#include "catch.hpp"

using namespace mistral;
using namespace std::chrono_literals;

namespace {
const auto epoch_1994 = std::chrono::system_clock::time_point(
    std::chrono::seconds(784111777));  // Sun, 06 Nov 1994 08:49:37 GMT
}

TEST_CASE("Retry-After as seconds, decimals, milliseconds and HTTP dates") {
    auto after = [](http_headers h) { return parse_retry_after(h, epoch_1994); };
    CHECK(after({{"Retry-After", "2"}}) == 2000ms);
    CHECK(after({{"retry-after", " 1.5 "}}) == 1500ms);
    CHECK(after({{"retry-after-ms", "250"}}) == 250ms);
    CHECK(after({{"retry-after-ms", "12.7"}, {"Retry-After", "9"}}) == 12ms);
    CHECK(after({{"Retry-After", "Sun, 06 Nov 1994 08:49:47 GMT"}}) == 10000ms);   // IMF-fixdate
    CHECK(after({{"Retry-After", "Sunday, 06-Nov-94 08:50:37 GMT"}}) == 60000ms);  // RFC 850
    CHECK(after({{"Retry-After", "Sun Nov  6 08:49:38 1994"}}) == 1000ms);         // asctime
    CHECK(after({{"Retry-After", "Sat, 05 Nov 1994 08:49:37 GMT"}}) == 0ms);       // in the past
    CHECK_FALSE(after({{"Retry-After", "soon"}}).has_value());
    CHECK_FALSE(after({{"Retry-After", "-5"}}).has_value());
    CHECK_FALSE(after({{"Retry-After", "Sun, 32 Nov 1994 08:49:37 GMT"}}).has_value());
    CHECK_FALSE(after({{"retry-after-ms", "x"}}).has_value());
    CHECK_FALSE(after({}).has_value());
    // Found by the fuzzer: a date far in the future overflowed system_clock's nanoseconds.
    CHECK(after({{"Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT"}}) >
          std::chrono::hours(24 * 365 * 8000));
}

TEST_CASE("full-jitter exponential backoff, capped") {
    const retry_policy p;
    CHECK(p.backoff(0, 0.0) == 0ms);
    CHECK(p.backoff(0, 0.999) == 499ms);
    CHECK(p.backoff(1, 0.5) == 500ms);
    CHECK(p.backoff(3, 0.5) == 2000ms);
    CHECK(p.backoff(10, 0.5) == 4000ms);  // capped at max_backoff 8 s
    CHECK(p.backoff(60, 1.0) == 8000ms);
}

TEST_CASE("what the default policy retries") {
    const retry_policy p;
    for (int s : {408, 409, 425, 429, 500, 502, 503, 504, 599}) CHECK(p.retries_status(s));
    for (int s : {400, 401, 403, 404, 422, 200}) CHECK_FALSE(p.retries_status(s));
    auto failure = [](transport_error_kind kind) { return transport_error(kind, "x"); };
    CHECK(p.retries_transport(failure(transport_error_kind::connect)));
    CHECK(p.retries_transport(failure(transport_error_kind::reset)));
    CHECK(p.retries_transport(failure(transport_error_kind::timeout)));
    CHECK_FALSE(p.retries_transport(failure(transport_error_kind::tls)));
    CHECK_FALSE(p.retries_transport(failure(transport_error_kind::cancelled)));
    CHECK_FALSE(p.retries_transport(failure(transport_error_kind::name_resolution)));
    CHECK_FALSE(p.retries_transport(failure(transport_error_kind::proxy)));

    // Failures after the request may have reached the server are retried only when allowed.
    retry_policy unsent_only;
    unsent_only.retry_sent_requests = false;
    CHECK(unsent_only.retries_transport(failure(transport_error_kind::connect)));
    CHECK_FALSE(unsent_only.retries_transport(failure(transport_error_kind::reset)));
    CHECK_FALSE(unsent_only.retries_transport(failure(transport_error_kind::timeout)));
    CHECK(unsent_only.retries_transport(
        transport_error(transport_error_kind::timeout, "connect timeout", false)));
    CHECK(failure(transport_error_kind::reset).request_sent());
    CHECK_FALSE(failure(transport_error_kind::connect).request_sent());
    CHECK(retry_policy::none().max_retries == 0);
    retry_policy no_5xx;
    no_5xx.retry_server_errors = false;
    CHECK_FALSE(no_5xx.retries_status(503));
    CHECK(p.max_retries == 2);
    CHECK(is_retryable_status(503));
}

TEST_CASE("retry: api_error::retryable() and the default policy agree on every status") {
    const retry_policy policy;
    for (int status = 100; status < 700; ++status) {
        INFO(status);
        CHECK(is_retryable_status(status) == policy.retries_status(status));
    }
}
