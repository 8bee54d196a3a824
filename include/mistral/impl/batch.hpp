// mistral/impl/batch.hpp: the Batch API (batch.hpp) on the blocking client's engine: files
// uploaded as multipart/form-data and downloaded piece by piece, batch jobs created (their limits
// checked before anything is sent), polled and cancelled, and the JSONL lines of their input and
// output written and read with chat's own codec. Templates only, as in impl/endpoints.hpp, so
// that a translation unit compiles them when it calls them.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "../batch.hpp"
#include "../client.hpp"
#include "../detail/ascii.hpp"
#include "../detail/config.hpp"
#include "../detail/sleep.hpp"
#include "../error.hpp"
#include "client_engine.hpp"
#include "endpoints.hpp"
#include "error_body.hpp"
#include "exchange.hpp"

MISTRAL_NAMESPACE_BEGIN

template <class Unused>
std::string batch_request_line(const batch_request& request) {
    if (request.body.model.empty()) {
        throw usage_error("model is empty (set the request's, or batch_options::model)");
    }
    if (request.body.stream.value_or(false)) {
        throw usage_error("\"stream\": true (a batch answers each request whole)");
    }
    return detail::sendable_json(request);
}

template <class Unused>
batch_result parse_batch_result(std::string_view line) {
    boost::system::error_code ec;
    boost::json::value tree = boost::json::parse(line, ec);
    if (ec) throw protocol_error("malformed JSON (" + ec.message() + ")");
    auto* obj = tree.if_object();
    if (obj == nullptr) throw protocol_error("a batch result line is not a JSON object");
    const auto text_of_member = [obj](const char* name) -> std::string {
        const auto* v = obj->if_contains(name);
        if (v == nullptr || v->is_null()) return {};
        if (!v->is_string()) throw protocol_error(std::string(name) + " is not a string", name);
        return std::string(v->get_string());
    };
    batch_result out;
    out.id = text_of_member("id");
    out.custom_id = text_of_member("custom_id");
    const auto message_of = [](const boost::json::value& error) {
        return error.is_string() ? std::string(error.get_string())
                                 : parse_error_body(boost::json::serialize(error)).message;
    };
    if (auto* response = obj->if_contains("response");
        response != nullptr && !response->is_null()) {
        auto* r = response->if_object();
        const auto* status = r != nullptr ? r->if_contains("status_code") : nullptr;
        if (status == nullptr || !status->is_int64()) {
            throw protocol_error("response.status_code is missing or not an integer",
                                 "response.status_code");
        }
        out.status_code = status->get_int64();
        auto* body = r->if_contains("body");
        if (out.status_code >= 200 && out.status_code <= 299) {
            if (body == nullptr) throw protocol_error("response.body is missing", "response.body");
            chat_response decoded;
            try {
                read_json(std::move(*body), decoded);
            } catch (const protocol_error& e) {
                throw protocol_error(e.what(), "response.body." + e.path());
            }
            out.response = std::move(decoded);
        } else if (body != nullptr && !body->is_null()) {
            out.error = message_of(*body);
            out.error_detail = *body;
            out.error_body = std::move(*body);
        }
    }
    if (auto* error = obj->if_contains("error"); error != nullptr && !error->is_null()) {
        out.error = message_of(*error);
        out.error_detail = std::move(*error);
    }
    if (!out.response && !out.error) {
        throw protocol_error("a batch result line with neither a response nor an error");
    }
    return out;
}

namespace detail {

using bytes_function = function_ref<bool(std::string_view)>;
using batch_result_function = function_ref<bool(const batch_result&)>;

// An id that goes into a path: percent-encoded, it cannot add a segment or a query; "." and ".."
// would still name another path once a server or a proxy normalizes it.
inline std::string path_segment(const char* what, std::string_view id) {
    if (id.empty() || id == "." || id == "..") {
        throw usage_error(std::string("cannot send the request: \"") + std::string(id) +
                          "\" is not a " + what + " id");
    }
    return percent_encode(id);
}

// A query string from the members that are set, each value percent-encoded.
class query_string {
public:
    void add_text(const char* name, std::string_view value) {
        text_ += text_.empty() ? '?' : '&';
        text_ += name;
        text_ += '=';
        text_ += percent_encode(value);
    }
    void add(const char* name, const std::optional<std::string>& value) {
        if (value) add_text(name, *value);
    }
    void add(const char* name, const std::optional<std::int64_t>& value) {
        if (value) add_text(name, std::to_string(*value));
    }
    void add(const char* name, const std::optional<bool>& value) {
        if (value) add_text(name, *value ? "true" : "false");
    }
    const std::string& text() const noexcept { return text_; }

private:
    std::string text_;
};

// A form value goes between boundaries as it is: a control character could end its part and
// start another.
inline void check_form_value(const char* name, std::string_view value) {
    if (!is_field_value(value) || value.find_first_of("\"\\") != std::string_view::npos) {
        throw usage_error(std::string("cannot upload the file: ") + name +
                          " holds a control character, a quote or a backslash");
    }
}

// The multipart/form-data body of an upload (RFC 7578) and its boundary, one that does not occur
// in the content.
inline std::pair<std::string, std::string> multipart_body(const file_upload& upload) {
    std::string boundary = "mistral-cpp-boundary-";
    for (std::uint64_t n = 0x9e3779b97f4a7c15ULL ^ upload.content.size();
         upload.content.find(boundary) != std::string::npos; n = n * 6364136223846793005ULL + 1) {
        boundary += "0123456789abcdef"[n >> 60];
    }
    std::string body;
    body.reserve(upload.content.size() + upload.filename.size() + 512);
    const auto part = [&](std::string_view name, std::string_view value) {
        body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"";
        body += name;
        body += "\"\r\n\r\n";
        body += value;
        body += "\r\n";
    };
    part("purpose", upload.purpose);
    if (upload.visibility) part("visibility", *upload.visibility);
    if (upload.expiry) part("expiry", std::to_string(*upload.expiry));
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"";
    body += upload.filename;
    body += "\"\r\nContent-Type: application/octet-stream\r\n\r\n";
    body += upload.content;
    body += "\r\n--" + boundary + "--\r\n";
    return {std::move(body), std::move(boundary)};
}

template <class Unused = void>
prepared_call prepare_upload(const client_options& options, const file_upload& upload,
                             const call_options& call) {
    check_api_key(options);
    if (upload.filename.empty()) throw usage_error("cannot upload the file: filename is empty");
    if (upload.content.empty()) throw usage_error("cannot upload the file: it is empty");
    check_form_value("filename", upload.filename);
    check_form_value("purpose", upload.purpose);
    if (upload.visibility) check_form_value("visibility", *upload.visibility);
    prepared_call out = prepare_http(options, call, "POST", "/v1/files", false);
    auto [body, boundary] = multipart_body(upload);
    out.http.body = std::move(body);
    out.http.headers.set("Content-Type", "multipart/form-data; boundary=" + boundary);
    return out;
}

// A job's limits, checked before anything is sent: the API's own, given by the specification.
template <class Unused = void>
void check_batch_job(const batch_job_request& job) {
    const bool files = job.input_files.has_value();
    const bool inline_requests = job.requests.has_value();
    if (files == inline_requests) {
        throw usage_error("cannot create the batch job: give either input_files or requests");
    }
    if (files && job.input_files->empty()) {
        throw usage_error("cannot create the batch job: input_files is empty");
    }
    if (inline_requests) {
        if (job.requests->empty()) throw usage_error("cannot create the batch job: no requests");
        if (job.requests->size() > max_inline_batch_requests) {
            throw usage_error(
                "cannot create the batch job: " + std::to_string(job.requests->size()) +
                " requests inline, the API takes at most 10000 (upload them as a "
                "file: batch_submit() does)");
        }
    }
    if (job.endpoint.empty()) throw usage_error("cannot create the batch job: endpoint is empty");
    if (job.timeout_hours && (*job.timeout_hours < 1 || *job.timeout_hours > 168)) {
        throw usage_error("cannot create the batch job: timeout_hours is " +
                          std::to_string(*job.timeout_hours) + ", the API takes 1 to 168");
    }
    if (job.metadata) {
        for (const auto& [key, value] : *job.metadata) {
            if (key.empty() || key.size() > 32 || value.empty() || value.size() > 512) {
                throw usage_error("cannot create the batch job: metadata \"" + key +
                                  "\": keys take 1 to 32 characters, values 1 to 512");
            }
        }
    }
}

// The requests of a batch, each one checked and its model filled in from the job's when it has
// none: the JSONL of an input file, or the requests of an inline job. A usage_error names the
// request.
template <class Unused = void>
std::string batch_jsonl(std::span<const batch_request> items,
                        const std::optional<std::string>& model) {
    std::unordered_set<std::string_view> ids;
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const batch_request& item = items[i];
        const std::string name = "batch request " + std::to_string(i) +
                                 (item.custom_id ? " (custom_id \"" + *item.custom_id + "\")" : "");
        if (item.custom_id && !ids.insert(*item.custom_id).second) {
            throw usage_error(name + ": the custom_id is given twice");
        }
        try {
            if (item.body.model.empty() && model) {
                batch_request filled = item;
                filled.body.model = *model;
                out += batch_request_line<Unused>(filled);
            } else {
                out += batch_request_line<Unused>(item);
            }
        } catch (const usage_error& e) {
            throw usage_error(name + ": " + e.what());
        }
        out += '\n';
    }
    return out;
}

template <class Unused = void>
prepared_call prepare_batch_job(const client_options& options, const batch_job_request& job,
                                const call_options& call) {
    check_api_key(options);
    check_batch_job<Unused>(job);
    prepared_call out = prepare_http(options, call, "POST", "/v1/batch/jobs", false);
    if (job.requests) {
        // Every inline request checked as a line of a file is, then sent as the lines say.
        const std::string lines = batch_jsonl<Unused>(*job.requests, job.model);
        boost::json::array requests;
        for (std::size_t start = 0, end; start < lines.size(); start = end + 1) {
            end = lines.find('\n', start);
            requests.push_back(
                boost::json::parse(std::string_view(lines).substr(start, end - start)));
        }
        const boost::json::object overrides{{"requests", std::move(requests)}};
        out.http.body = sendable_json(job, overrides);
    } else {
        out.http.body = sendable_json(job);
    }
    return out;
}

template <class Unused = void>
std::string file_list_path(const file_query& query) {
    query_string q;
    q.add("page", query.page);
    q.add("page_size", query.page_size);
    q.add("purpose", query.purpose);
    q.add("search", query.search);
    return "/v1/files" + q.text();
}

template <class Unused = void>
std::string batch_job_list_path(const batch_job_query& query) {
    query_string q;
    q.add("page", query.page);
    q.add("page_size", query.page_size);
    q.add("model", query.model);
    q.add("created_after", query.created_after);
    q.add("created_by_me", query.created_by_me);
    for (const std::string& status : query.status) q.add_text("status", status);
    q.add("order_by", query.order_by);
    return "/v1/batch/jobs" + q.text();
}

// A call with no body, its answer read by its type's codec.
template <class Response, class Unused = void>
Response run_plain(const client_options& options, send_function send, const char* method,
                   const std::string& path, const call_options& call) {
    check_api_key(options);
    return read_reply<Response>(client_engine<Unused>::call_json(
        options, send, prepare_http(options, call, method, path, false), call));
}

template <class Unused>
file_object run_upload_file(const client_options& options, send_function send,
                            const file_upload& upload, const call_options& call) {
    return read_reply<file_object>(client_engine<Unused>::call_json(
        options, send, prepare_upload<Unused>(options, upload, call), call));
}

template <class Unused>
file_list run_files(const client_options& options, send_function send, const file_query& query,
                    const call_options& call) {
    return run_plain<file_list, Unused>(options, send, "GET", file_list_path<Unused>(query), call);
}

template <class Unused>
file_object run_file(const client_options& options, send_function send, std::string_view id,
                     const call_options& call) {
    return run_plain<file_object, Unused>(options, send, "GET",
                                          "/v1/files/" + path_segment("file", id), call);
}

template <class Unused>
file_deleted run_delete_file(const client_options& options, send_function send, std::string_view id,
                             const call_options& call) {
    return run_plain<file_deleted, Unused>(options, send, "DELETE",
                                           "/v1/files/" + path_segment("file", id), call);
}

template <class Unused>
void run_file_content(const client_options& options, send_function send, std::string_view id,
                      bytes_function on_bytes, const call_options& call) {
    check_api_key(options);
    prepared_call prepared = prepare_http(
        options, call, "GET", "/v1/files/" + path_segment("file", id) + "/content", false);
    prepared.http.headers.set("Accept", "application/octet-stream");
    client_engine<Unused>::download(options, send, std::move(prepared), on_bytes, call);
}

// A job created twice runs (and is billed) twice: its creation is retried only when the server
// cannot have acted on it (a refused connection, a 429), whatever the retry policy says.
template <class Unused>
batch_job run_create_batch_job(const client_options& options, send_function send,
                               const batch_job_request& job, const call_options& call) {
    call_options once = call;
    retry_policy policy = call.retry ? *call.retry : options.retry;
    policy.retry_sent_requests = false;
    policy.retry_server_errors = false;
    std::erase_if(policy.retry_statuses, [](int status) { return status != 429; });
    once.retry = std::move(policy);
    return read_reply<batch_job>(client_engine<Unused>::call_json(
        options, send, prepare_batch_job<Unused>(options, job, once), once));
}

template <class Unused>
batch_job run_batch_job(const client_options& options, send_function send, std::string_view id,
                        const call_options& call) {
    return run_plain<batch_job, Unused>(options, send, "GET",
                                        "/v1/batch/jobs/" + path_segment("batch job", id), call);
}

template <class Unused>
batch_job_list run_batch_jobs(const client_options& options, send_function send,
                              const batch_job_query& query, const call_options& call) {
    return run_plain<batch_job_list, Unused>(options, send, "GET",
                                             batch_job_list_path<Unused>(query), call);
}

template <class Unused>
batch_job run_batch_cancel(const client_options& options, send_function send, std::string_view id,
                           const call_options& call) {
    return run_plain<batch_job, Unused>(
        options, send, "POST", "/v1/batch/jobs/" + path_segment("batch job", id) + "/cancel", call);
}

template <class Unused>
batch_job run_batch_submit(const client_options& options, send_function send,
                           std::span<const batch_request> items, const batch_options& batch,
                           const call_options& call) {
    check_api_key(options);
    batch_job_request job{.input_files = std::vector<std::string>{},
                          .model = batch.model,
                          .metadata = batch.metadata,
                          .timeout_hours = batch.timeout_hours};
    if (items.empty()) throw usage_error("cannot submit the batch: no requests");
    job.input_files->push_back("-");  // checked before the upload, then set to the file's id
    check_batch_job<Unused>(job);
    file_upload upload{.filename = batch.filename,
                       .content = batch_jsonl<Unused>(items, batch.model)};
    const file_object file = run_upload_file<Unused>(options, send, upload, call);
    job.input_files->front() = file.id;
    return run_create_batch_job<Unused>(options, send, job, call);
}

template <class Unused>
batch_job run_batch_wait(const client_options& options, send_function send, std::string_view id,
                         const batch_wait_options& wait, const call_options& call) {
    const auto now = [&options] {
        return options.environment.now ? options.environment.now()
                                       : std::chrono::steady_clock::now();
    };
    const auto start = now();
    for (;;) {
        batch_job job = run_batch_job<Unused>(options, send, id, call);
        if (is_final_batch_status(job.status)) return job;
        const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now() - start);
        if (wait.timeout && waited + wait.poll_interval > *wait.timeout) {
            throw transport_error(transport_error_kind::timeout,
                                  "batch job " + job.id + " is still " + job.status + " after " +
                                      std::to_string(waited.count()) +
                                      " ms (batch_wait_options::timeout)",
                                  false);
        }
        if (options.environment.sleep) {
            options.environment.sleep(wait.poll_interval, call.stop);
        } else {
            interruptible_sleep(wait.poll_interval, call.stop);
        }
        if (call.stop.stop_requested()) throw cancelled(false);
    }
}

// Cuts the bytes of a JSONL file into lines, as they arrive, and hands each one over decoded.
class batch_line_reader {
public:
    batch_line_reader(std::string file, std::size_t max_line, batch_result_function on_result)
        : file_(std::move(file)), max_line_(max_line), on_result_(on_result) {}

    // False once the caller asked to stop.
    bool feed(std::string_view bytes) {
        while (!bytes.empty()) {
            const auto end = bytes.find('\n');
            if (end == std::string_view::npos) {
                if (partial_.size() + bytes.size() > max_line_)
                    fail("a line is longer than max_response_size");
                partial_ += bytes;
                return true;
            }
            bool go_on;
            if (partial_.empty()) {
                go_on = line(bytes.substr(0, end));
            } else {
                partial_ += bytes.substr(0, end);
                go_on = line(partial_);
                partial_.clear();
            }
            if (!go_on) return false;
            bytes.remove_prefix(end + 1);
        }
        return true;
    }

    // The last line, when the file does not end with a newline.
    bool finish() {
        if (partial_.empty()) return true;
        const std::string last = std::exchange(partial_, {});
        return line(last);
    }

private:
    bool line(std::string_view text) {
        ++number_;
        if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
        if (text.find_first_not_of(" \t") == std::string_view::npos) return true;
        batch_result result;
        try {
            result = parse_batch_result<>(text);
        } catch (const protocol_error& e) {
            fail(e.what(), e.path());
        }
        return on_result_(result);
    }
    [[noreturn]] void fail(const std::string& what, std::string path = {}) const {
        throw protocol_error("file " + file_ + " line " + std::to_string(number_) + ": " + what,
                             std::move(path));
    }

    std::string file_;
    std::size_t max_line_;
    batch_result_function on_result_;
    std::string partial_;
    std::size_t number_ = 0;
};

template <class Unused>
void run_batch_results(const client_options& options, send_function send, const batch_job& job,
                       batch_result_function on_result, const call_options& call) {
    if (!job.output_file && !job.error_file) {
        if (is_final_batch_status(job.status)) return;
        throw usage_error("batch job " + job.id + " has no results yet (it is " + job.status +
                          "): batch_wait() for it first");
    }
    for (const auto* file : {&job.output_file, &job.error_file}) {
        if (!*file) continue;
        batch_line_reader reader(**file, options.max_response_size, on_result);
        bool go_on = true;
        auto feed = [&](std::string_view bytes) { return go_on = reader.feed(bytes); };
        run_file_content<Unused>(options, send, **file, feed, call);
        if (!go_on || !reader.finish()) return;
    }
}

}  // namespace detail
MISTRAL_NAMESPACE_END
