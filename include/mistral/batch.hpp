// mistral/batch.hpp: the value types of the Batch API and the files it reads and writes: files
// (POST/GET /v1/files, GET/DELETE /v1/files/{id}, GET /v1/files/{id}/content), batch jobs
// (POST/GET /v1/batch/jobs, GET /v1/batch/jobs/{id}, POST /v1/batch/jobs/{id}/cancel), and the
// JSONL lines of a job's input (batch_request) and output (batch_result). Same rules as
// types.hpp: members in the order the official specification lists them, unknown members kept in
// `extra`, open enums as strings.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "detail/config.hpp"
#include "http.hpp"
#include "json.hpp"
#include "types.hpp"

MISTRAL_NAMESPACE_BEGIN

/// Values of file_object::purpose and file_upload::purpose (open set).
namespace file_purpose {
inline constexpr const char* batch = "batch";          ///< a batch job's input
inline constexpr const char* fine_tune = "fine-tune";  ///< training data
inline constexpr const char* ocr = "ocr";              ///< a document to read
}  // namespace file_purpose

/// A file to upload (`POST /v1/files`, multipart/form-data). The API takes up to 512 MB; the
/// content is sent from memory.
struct file_upload {
    std::string filename{};                     ///< its name, e.g. "batch.jsonl" (required)
    std::string content{};                      ///< its bytes (required)
    std::string purpose = file_purpose::batch;  ///< what it is for: "batch", "fine-tune", "ocr"
    std::optional<std::string> visibility{};    ///< "workspace" (the default) or "user"
    std::optional<std::int64_t> expiry{};       ///< hours until the API deletes it
    bool operator==(const file_upload&) const = default;
};

/// A file as the API describes it (the answer of an upload, and of `GET /v1/files/{id}`).
struct file_object {
    std::string id{};                          ///< its id, for batch_job_request::input_files
    std::string object{};                      ///< "file"
    std::int64_t bytes = 0;                    ///< its size
    std::int64_t created_at = 0;               ///< Unix seconds
    std::string filename{};                    ///< its name
    std::string purpose{};                     ///< "batch", "fine-tune", "ocr" (open set)
    std::string sample_type{};                 ///< "batch_request", "batch_result", ... (open)
    std::optional<std::int64_t> num_lines{};   ///< lines of a JSONL file
    std::optional<std::string> mimetype{};     ///< its media type
    std::string source{};                      ///< "upload", "repository", "mistral" (open)
    std::optional<std::string> signature{};    ///< its checksum
    std::optional<std::int64_t> expires_at{};  ///< Unix seconds, when it expires
    std::optional<std::string> visibility{};   ///< "workspace" or "user"
    std::optional<bool> deleted{};             ///< `GET /v1/files/{id}`: whether it was deleted
    response_metadata http{};                  ///< status, headers, request id, rate limits
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const file_object&) const = default;
};

/// Which files `GET /v1/files` lists (every member unset: the first page of all of them).
struct file_query {
    std::optional<std::int64_t> page{};       ///< from 0
    std::optional<std::int64_t> page_size{};  ///< the API's default: 100
    std::optional<std::string> purpose{};     ///< only files with this purpose
    std::optional<std::string> search{};      ///< only files whose name has this text
    bool operator==(const file_query&) const = default;
};

/// The answer of `GET /v1/files`.
struct file_list {
    std::vector<file_object> data{};      ///< the files of the page
    std::string object{};                 ///< "list"
    std::optional<std::int64_t> total{};  ///< how many match, over every page
    response_metadata http{};             ///< status, headers, request id, rate limits
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const file_list&) const = default;
};

/// The answer of `DELETE /v1/files/{id}`.
struct file_deleted {
    std::string id{};          ///< the file's id
    std::string object{};      ///< "file"
    bool deleted = false;      ///< true once it is gone
    response_metadata http{};  ///< status, headers, request id, rate limits
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const file_deleted&) const = default;
};

/// One line of a batch job's input (JSONL): a chat request and your id for it.
struct batch_request {
    /// Your id for the request, given back in its batch_result (unique within the job).
    std::optional<std::string> custom_id{};
    /// The request, as chat() would send it. Its model may be empty when the job names one;
    /// "stream": true is refused.
    chat_request body{};
    /// Members the library does not model: sent as they are.
    boost::json::object extra{};
    bool operator==(const batch_request&) const = default;
};

/// The endpoints a batch job can run (batch_job_request::endpoint; open set). This client reads
/// the results of chat_completions and fim_completions as chat_response.
namespace batch_endpoint {
inline constexpr const char* chat_completions = "/v1/chat/completions";  ///< chat()
inline constexpr const char* fim_completions = "/v1/fim/completions";    ///< fim()
inline constexpr const char* embeddings = "/v1/embeddings";              ///< embeddings()
inline constexpr const char* moderations = "/v1/moderations";            ///< moderations()
inline constexpr const char* chat_moderations = "/v1/chat/moderations";  ///< chat_moderations()
inline constexpr const char* ocr = "/v1/ocr";                            ///< ocr()
}  // namespace batch_endpoint

/// The most requests a batch job takes inline (batch_job_request::requests).
inline constexpr std::size_t max_inline_batch_requests = 10'000;

/// A batch job to create (`POST /v1/batch/jobs`): from uploaded input files, or from at most
/// 10,000 requests given inline.
struct batch_job_request {
    std::optional<std::vector<std::string>> input_files{};  ///< ids of uploaded JSONL files
    /// Requests given inline (at most 10,000; more go in a file: batch_submit() does that).
    std::optional<std::vector<batch_request>> requests{};
    /// The endpoint every request goes to (required).
    std::string endpoint = batch_endpoint::chat_completions;
    std::optional<std::string> model{};     ///< the model of every request (one per job)
    std::optional<std::string> agent_id{};  ///< an agent instead of a model (deprecated API)
    /// Your key-value pairs (keys of 1 to 32 characters, values of 1 to 512), kept with the job.
    std::optional<std::map<std::string, std::string>> metadata{};
    std::optional<std::int64_t> timeout_hours{};  ///< 1 to 168; the API's default: 24
    /// Members the library does not model: sent as they are.
    boost::json::object extra{};
    bool operator==(const batch_job_request&) const = default;
};

/// Values of batch_job::status (open set). queued and running are on the way; the others are
/// final (see is_final_batch_status()).
namespace batch_status {
inline constexpr const char* queued = "QUEUED";    ///< waiting to start
inline constexpr const char* running = "RUNNING";  ///< requests are being answered
inline constexpr const char* success = "SUCCESS";  ///< done (some lines may still have failed)
inline constexpr const char* failed = "FAILED";    ///< the job failed as a whole
inline constexpr const char* timeout_exceeded = "TIMEOUT_EXCEEDED";  ///< past timeout_hours
/// batch_cancel() was called; the job stops soon.
inline constexpr const char* cancellation_requested = "CANCELLATION_REQUESTED";
inline constexpr const char* cancelled = "CANCELLED";  ///< stopped by batch_cancel()
}  // namespace batch_status

/// Whether a job in this status will change no more (batch_wait() returns then).
inline bool is_final_batch_status(std::string_view status) noexcept {
    return status == batch_status::success || status == batch_status::failed ||
           status == batch_status::timeout_exceeded || status == batch_status::cancelled;
}

/// An error of a whole batch job, and how many times it happened.
struct batch_job_error {
    std::string message{};   ///< what went wrong
    std::int64_t count = 1;  ///< how many times
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const batch_job_error&) const = default;
};

/// A batch job (the answer of create, get and cancel).
struct batch_job {
    std::string id{};                                              ///< its id
    std::optional<std::string> object{};                           ///< "batch"
    std::vector<std::string> input_files{};                        ///< the input files' ids
    std::optional<std::map<std::string, std::string>> metadata{};  ///< as created
    std::string endpoint{};                                        ///< the endpoint of its requests
    std::optional<std::string> model{};                            ///< the model of its requests
    std::optional<std::string> agent_id{};                         ///< or the agent
    std::optional<std::string> output_file{};  ///< the results' file, once there is one
    std::optional<std::string> error_file{};   ///< the failed requests' file, if any
    std::vector<batch_job_error> errors{};     ///< errors of the job as a whole
    /// Results given inline (`GET /v1/batch/jobs/{id}?inline=true`), as received.
    std::optional<std::vector<boost::json::value>> outputs{};
    std::string status{};                        ///< see batch_status (an open set)
    std::int64_t created_at = 0;                 ///< Unix seconds
    std::int64_t total_requests = 0;             ///< its requests
    std::int64_t completed_requests = 0;         ///< answered so far, well or not
    std::int64_t succeeded_requests = 0;         ///< answered well
    std::int64_t failed_requests = 0;            ///< failed
    std::optional<std::int64_t> started_at{};    ///< Unix seconds
    std::optional<std::int64_t> completed_at{};  ///< Unix seconds
    response_metadata http{};                    ///< status, headers, request id, rate limits
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const batch_job&) const = default;
};

/// Which jobs `GET /v1/batch/jobs` lists (every member unset: the first page of all of them).
struct batch_job_query {
    std::optional<std::int64_t> page{};          ///< from 0
    std::optional<std::int64_t> page_size{};     ///< the API's default: 100
    std::optional<std::string> model{};          ///< only jobs of this model
    std::optional<std::string> created_after{};  ///< ISO 8601 date-time
    std::optional<bool> created_by_me{};         ///< only your own jobs
    std::vector<std::string> status{};           ///< only jobs in one of these statuses
    std::optional<std::string> order_by{};       ///< "created" or "-created" (the default)
    bool operator==(const batch_job_query&) const = default;
};

/// The answer of `GET /v1/batch/jobs`.
struct batch_job_list {
    std::vector<batch_job> data{};        ///< the jobs of the page
    std::optional<std::string> object{};  ///< "list"
    std::int64_t total = 0;               ///< how many match, over every page
    response_metadata http{};             ///< status, headers, request id, rate limits
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const batch_job_list&) const = default;
};

/// What batch_submit() gives the job besides its requests (chat completions: a batch_request
/// holds a chat_request; create_batch_job() runs files for the other endpoints).
struct batch_options {
    std::optional<std::string> model{};  ///< the model of every request whose own is empty
    /// Your key-value pairs, kept with the job.
    std::optional<std::map<std::string, std::string>> metadata{};
    std::optional<std::int64_t> timeout_hours{};  ///< 1 to 168; the API's default: 24
    std::string filename = "batch.jsonl";         ///< the uploaded input file's name
};

/// How batch_wait() polls.
struct batch_wait_options {
    /// The pause between two polls.
    std::chrono::milliseconds poll_interval{5'000};
    /// The longest wait: past it, batch_wait() throws transport_error (timeout). Unset: until
    /// the job ends (or the call is cancelled).
    std::optional<std::chrono::milliseconds> timeout{};
};

/// One line of a batch job's output (or error) file: the answer to one batch_request.
struct batch_result {
    std::string id{};         ///< the line's id
    std::string custom_id{};  ///< the batch_request's custom_id
    /// The HTTP status the request got (0 when the line has no response).
    std::int64_t status_code = 0;
    /// The answer, decoded by chat's codec, when the status is 2xx.
    std::optional<chat_response> response{};
    /// What went wrong, when the request failed: the line's `error`, or the message of the error
    /// body of a status other than 2xx.
    std::optional<std::string> error{};
    /// The line's `error` as received (else the error body).
    std::optional<boost::json::value> error_detail{};
    /// The body of a response whose status is not 2xx, as received.
    std::optional<boost::json::value> error_body{};
    bool operator==(const batch_result&) const = default;
};

/// Decodes one line of a batch output or error file. Throws protocol_error (its path names the
/// member) for a line that is not such a line.
template <class Unused = void>
batch_result parse_batch_result(std::string_view line);

/// The JSONL line of one request of a batch input (without its newline). Throws usage_error for
/// what chat() would refuse to send, and for "stream": true.
template <class Unused = void>
std::string batch_request_line(const batch_request& request);

#ifdef MISTRAL_SEPARATE_COMPILATION
extern template batch_result parse_batch_result<>(std::string_view);
extern template std::string batch_request_line<>(const batch_request&);
#endif

/// @cond internal
namespace detail {
// clang-format off
template <class V> constexpr bool fields(file_object*, V&& v) {
    using T = file_object;
    return v(field("id", &T::id, required)) || v(field("object", &T::object, required)) ||
           v(field("bytes", &T::bytes, required)) ||
           v(field("created_at", &T::created_at, required)) ||
           v(field("filename", &T::filename, required)) ||
           v(field("purpose", &T::purpose, required)) ||
           v(field("sample_type", &T::sample_type, required)) ||
           v(field("num_lines", &T::num_lines)) || v(field("mimetype", &T::mimetype)) ||
           v(field("source", &T::source, required)) || v(field("signature", &T::signature)) ||
           v(field("expires_at", &T::expires_at)) || v(field("visibility", &T::visibility)) ||
           v(field("deleted", &T::deleted));
}
template <class V> constexpr bool fields(file_list*, V&& v) {
    using T = file_list;
    return v(field("data", &T::data, required)) || v(field("object", &T::object, required)) ||
           v(field("total", &T::total));
}
template <class V> constexpr bool fields(file_deleted*, V&& v) {
    using T = file_deleted;
    return v(field("id", &T::id, required)) || v(field("object", &T::object, required)) ||
           v(field("deleted", &T::deleted, required));
}
template <class V> constexpr bool fields(batch_request*, V&& v) {
    using T = batch_request;
    return v(field("custom_id", &T::custom_id)) || v(field("body", &T::body, required));
}
template <class V> constexpr bool fields(batch_job_request*, V&& v) {
    using T = batch_job_request;
    return v(field("input_files", &T::input_files)) || v(field("requests", &T::requests)) ||
           v(field("endpoint", &T::endpoint, required)) || v(field("model", &T::model)) ||
           v(field("agent_id", &T::agent_id)) || v(field("metadata", &T::metadata)) ||
           v(field("timeout_hours", &T::timeout_hours));
}
template <class V> constexpr bool fields(batch_job_error*, V&& v) {
    using T = batch_job_error;
    return v(field("message", &T::message, required)) || v(field("count", &T::count));
}
template <class V> constexpr bool fields(batch_job*, V&& v) {
    using T = batch_job;
    return v(field("id", &T::id, required)) || v(field("object", &T::object)) ||
           v(field("input_files", &T::input_files, required)) ||
           v(field("metadata", &T::metadata)) || v(field("endpoint", &T::endpoint, required)) ||
           v(field("model", &T::model)) || v(field("agent_id", &T::agent_id)) ||
           v(field("output_file", &T::output_file)) || v(field("error_file", &T::error_file)) ||
           v(field("errors", &T::errors, required)) || v(field("outputs", &T::outputs)) ||
           v(field("status", &T::status, required)) ||
           v(field("created_at", &T::created_at, required)) ||
           v(field("total_requests", &T::total_requests, required)) ||
           v(field("completed_requests", &T::completed_requests, required)) ||
           v(field("succeeded_requests", &T::succeeded_requests, required)) ||
           v(field("failed_requests", &T::failed_requests, required)) ||
           v(field("started_at", &T::started_at)) || v(field("completed_at", &T::completed_at));
}
template <class V> constexpr bool fields(batch_job_list*, V&& v) {
    using T = batch_job_list;
    return v(field("data", &T::data)) || v(field("object", &T::object)) ||
           v(field("total", &T::total, required));
}
// clang-format on
}  // namespace detail
/// @endcond

MISTRAL_NAMESPACE_END
