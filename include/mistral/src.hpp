// mistral/src.hpp: the one-time implementation for separate compilation.
// SPDX-License-Identifier: MIT
//
// Separate compilation, for programs with many translation units. By default everything is
// instantiated where it is used, and each translation unit that calls the client compiles the
// JSON codecs and the call machinery again. Instead:
//
//   1. define MISTRAL_SEPARATE_COMPILATION for every translation unit of the program
//      (CMake: target_compile_definitions(app PRIVATE MISTRAL_SEPARATE_COMPILATION));
//   2. include this header in exactly one .cpp file.
//
// That file then holds the client engine, the default transport and the conversions of the API's
// main types, and every other translation unit only declares them (as Boost.JSON's own src.hpp
// does): they do not parse the engine, the chunk decoder or httplib.h. A program without
// cpp-httplib (a custom transport only), or one that defines MISTRAL_NO_DEFAULT_TRANSPORT (a
// cpp-httplib built for another standard library, such as Debian's beside libc++), gets
// everything but the default transport.
#pragma once

#include "core.hpp"
#include "detail/config.hpp"

#ifndef MISTRAL_SEPARATE_COMPILATION
#error \
    "<mistral/src.hpp> is for MISTRAL_SEPARATE_COMPILATION builds: define it for every translation unit"
#endif

#include "impl/batch.hpp"
#include "impl/client_engine.hpp"
#include "impl/endpoints.hpp"
#include "impl/error.hpp"
#include "impl/exchange.hpp"
#include "impl/history.hpp"
#include "impl/http.hpp"
#include "impl/retry.hpp"
#include "impl/stream_accumulator.hpp"
#include "impl/threaded_reader.hpp"
#include "impl/tools.hpp"
#include "impl/types.hpp"
#include "impl/url.hpp"
#include "impl/usage.hpp"
#include "impl/variant_type.hpp"
#if __has_include(<httplib.h>) && !defined(MISTRAL_NO_DEFAULT_TRANSPORT)
#include "impl/httplib_transport.hpp"
#include "mistral.hpp"  // its extern declaration of mistral::client comes before the definition
#endif

// The Asio client (asio.hpp), when the program uses it: define MISTRAL_ASIO where this header is
// included (CMake's mistral::compiled compiles it in a translation unit of its own).
#ifdef MISTRAL_ASIO
#include "asio.hpp"
#include "impl/asio_client.hpp"
#endif

MISTRAL_NAMESPACE_BEGIN

// The special members of the API's sum types (types.hpp), declared only in other translation
// units. These lists are the aliases' own: one that differs fails to link.
template class detail::variant_type<text_chunk, tool_reference_chunk, reference_chunk,
                                    unknown_chunk>;
template class detail::variant_type<text_chunk, image_url_chunk, document_url_chunk,
                                    reference_chunk, file_chunk, thinking_chunk, input_audio_chunk,
                                    unknown_chunk>;
template class detail::variant_type<std::string, std::vector<content_chunk>>;
template class detail::variant_type<system_message, user_message, assistant_message, tool_message>;
template class detail::variant_type<function_tool, web_search_tool, web_search_premium_tool,
                                    code_interpreter_tool, image_generation_tool,
                                    document_library_tool, connector_tool, unknown_tool>;

#if __has_include(<httplib.h>) && !defined(MISTRAL_NO_DEFAULT_TRANSPORT)
// mistral::client, which mistral.hpp declares extern: other translation units compile none of
// its members (an explicit instantiation declaration keeps GCC from instantiating even the
// members defined in the class, which it otherwise compiles in every caller's translation unit).
template class basic_client<httplib_transport>;
#endif

MISTRAL_ANY_TRANSPORT_CLIENT_MEMBERS()

template class basic_stream_decoder<>;
template http_request prepare_request<>(const client_options&, const chat_request&,
                                        const call_options&);
template chat_response decode_response<>(const response_head&, std::string_view,
                                         const client_options&, const call_options&);
template file_object detail::run_upload_file<>(const client_options&, detail::send_function,
                                               const file_upload&, const call_options&);
template file_list detail::run_files<>(const client_options&, detail::send_function,
                                       const file_query&, const call_options&);
template file_object detail::run_file<>(const client_options&, detail::send_function,
                                        std::string_view, const call_options&);
template file_deleted detail::run_delete_file<>(const client_options&, detail::send_function,
                                                std::string_view, const call_options&);
template void detail::run_file_content<>(const client_options&, detail::send_function,
                                         std::string_view,
                                         detail::function_ref<bool(std::string_view)>,
                                         const call_options&);
template batch_job detail::run_create_batch_job<>(const client_options&, detail::send_function,
                                                  const batch_job_request&, const call_options&);
template batch_job detail::run_batch_job<>(const client_options&, detail::send_function,
                                           std::string_view, const call_options&);
template batch_job_list detail::run_batch_jobs<>(const client_options&, detail::send_function,
                                                 const batch_job_query&, const call_options&);
template batch_job detail::run_batch_cancel<>(const client_options&, detail::send_function,
                                              std::string_view, const call_options&);
template batch_job detail::run_batch_submit<>(const client_options&, detail::send_function,
                                              std::span<const batch_request>, const batch_options&,
                                              const call_options&);
template batch_job detail::run_batch_wait<>(const client_options&, detail::send_function,
                                            std::string_view, const batch_wait_options&,
                                            const call_options&);
template void detail::run_batch_results<>(const client_options&, detail::send_function,
                                          const batch_job&,
                                          detail::function_ref<bool(const batch_result&)>,
                                          const call_options&);
template batch_result parse_batch_result<>(std::string_view);
template std::string batch_request_line<>(const batch_request&);
template chat_response detail::run_chat<>(const client_options&, detail::send_function,
                                          const chat_request&, const call_options&);
template chat_response detail::run_stream<>(const client_options&, detail::send_function,
                                            const chat_request&, detail::chunk_function,
                                            const call_options&);
template chat_response detail::run_fim<>(const client_options&, detail::send_function,
                                         const fim_request&, const call_options&);
template chat_response detail::run_fim_stream<>(const client_options&, detail::send_function,
                                                const fim_request&, detail::chunk_function,
                                                const call_options&);
template moderation_response detail::run_moderations<>(const client_options&, detail::send_function,
                                                       const moderation_request&,
                                                       const call_options&);
template moderation_response detail::run_chat_moderations<>(const client_options&,
                                                            detail::send_function,
                                                            const chat_moderation_request&,
                                                            const call_options&);
template ocr_response detail::run_ocr<>(const client_options&, detail::send_function,
                                        const ocr_request&, const call_options&);
template embedding_response detail::run_embeddings<>(const client_options&, detail::send_function,
                                                     const embedding_request&, const call_options&);
template model_list detail::run_models<>(const client_options&, detail::send_function,
                                         const call_options&);
template model_card detail::run_model<>(const client_options&, detail::send_function,
                                        std::string_view, const call_options&);
template std::unique_ptr<detail::stream_source> detail::run_open_stream<>(const client_options&,
                                                                          detail::open_function,
                                                                          chat_request,
                                                                          call_options,
                                                                          detail::usage_function);
template void tag_invoke<chat_request>(const boost::json::value_from_tag&, boost::json::value&,
                                       const chat_request&);
template void tag_invoke<chat_response>(const boost::json::value_from_tag&, boost::json::value&,
                                        const chat_response&);
template void tag_invoke<chat_chunk>(const boost::json::value_from_tag&, boost::json::value&,
                                     const chat_chunk&);
template chat_request tag_invoke<chat_request>(const boost::json::value_to_tag<chat_request>&,
                                               const boost::json::value&);
template chat_response tag_invoke<chat_response>(const boost::json::value_to_tag<chat_response>&,
                                                 const boost::json::value&);
template chat_chunk tag_invoke<chat_chunk>(const boost::json::value_to_tag<chat_chunk>&,
                                           const boost::json::value&);

MISTRAL_NAMESPACE_END
