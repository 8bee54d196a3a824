# tests/cmake/run_consumer.cmake: runs one consumption route end to end: cmake -DROUTE=<route> -DSOURCE_DIR=... -DBUILD_DIR=...
# -DWORK_DIR=... [-DCOMMIT=...] -P run_consumer.cmake
#   find_package  install the build tree to a prefix, find_package it, build and run a program
#   fetch_content build and run a consumer project that fetches this commit
#   fetch_archive the same from the slim source archive (tools/release.sh --archive)
#   release       tools/release.sh in a scratch clone, and what it must have changed
#   minimal_install  configure with Catch2 and Google Benchmark hidden and BUILD_TESTING=OFF,
#                 install, find_package it (header-only)
#   meson_subproject  a Meson project with the checkout as its subproject (header-only)
#   single_header compile an example with only -I single_include and the system libraries
#                 (header-only)
#   vcpkg         run the overlay port's portfile with tools/vcpkg_emulate.cmake, then find_package it
# The README's routes (tools/check_install.py) build mistral::compiled as minimal_install,
# meson_subproject and single_header would, so those three build only the header-only program.
cmake_minimum_required(VERSION 3.21)

function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT result EQUAL 0)
        message(FATAL_ERROR "failed (${result}): ${ARGN}\n${out}\n${err}")
    endif()
    set(last_output "${out}" PARENT_SCOPE)
endfunction()

function(build_and_run_consumer project_dir)
    set(build "${WORK_DIR}/consumer-build")
    file(REMOVE_RECURSE "${build}")
    run(${CMAKE_COMMAND} -S "${project_dir}" -B "${build}" -G Ninja ${ARGN}
        "-DMISTRAL_SOURCE_DIR=${SOURCE_DIR}" "-DMISTRAL_GIT_COMMIT=${COMMIT}")
    run(${CMAKE_COMMAND} --build "${build}")
    run("${build}/consumer")
    message(STATUS "${last_output}")
    if(EXISTS "${build}/consumer_compiled")
        run("${build}/consumer_compiled")
        message(STATUS "mistral::compiled: ${last_output}")
    endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
set(consumers "${SOURCE_DIR}/tests/cmake")

if(ROUTE STREQUAL "find_package")
    run(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")
    # A relocatable package: no absolute path of the build or source tree in installed files.
    file(GLOB_RECURSE installed "${prefix}/*")
    foreach(f IN LISTS installed)
        file(READ "${f}" text)
        string(FIND "${text}" "${SOURCE_DIR}" at)
        if(NOT at EQUAL -1)
            message(FATAL_ERROR "${f} contains the source path ${SOURCE_DIR}")
        endif()
    endforeach()
    build_and_run_consumer("${consumers}/find_package" "-DCMAKE_PREFIX_PATH=${prefix}")
elseif(ROUTE STREQUAL "minimal_install")
    # A machine with only the library's dependencies: Catch2 and Google Benchmark hidden, tests off.
    run(${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${WORK_DIR}/build" -G Ninja -DBUILD_TESTING=OFF
        -DCMAKE_DISABLE_FIND_PACKAGE_Catch2=ON -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON)
    run(${CMAKE_COMMAND} --install "${WORK_DIR}/build" --prefix "${prefix}")
    foreach(f share/doc/mistral-cpp/LICENSE share/pkgconfig/mistral-cpp.pc)
        if(NOT EXISTS "${prefix}/${f}")
            message(FATAL_ERROR "the install has no ${f}")
        endif()
    endforeach()
    # mistral::compiled from such an install: the README's cmake-install route.
    build_and_run_consumer("${consumers}/find_package" "-DCMAKE_PREFIX_PATH=${prefix}" -DCONSUMER_COMPILED=OFF)
elseif(ROUTE STREQUAL "fetch_content")
    execute_process(COMMAND git -C "${SOURCE_DIR}" rev-parse HEAD OUTPUT_VARIABLE COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE
        COMMAND_ERROR_IS_FATAL ANY)
    build_and_run_consumer("${consumers}/fetch_content")
elseif(ROUTE STREQUAL "fetch_archive")
    run(${CMAKE_COMMAND} -E env "DIST=${WORK_DIR}/dist" bash "${SOURCE_DIR}/tools/release.sh" --archive HEAD)
    file(GLOB archive "${WORK_DIR}/dist/mistral-cpp-*.tar.gz")
    build_and_run_consumer("${consumers}/fetch_content" "-DMISTRAL_ARCHIVE=${archive}")
elseif(ROUTE STREQUAL "release")
    # tools/release.sh in a scratch clone: version, CHANGELOG, single header, tag, README pin, archive.
    set(clone "${WORK_DIR}/clone")
    run(git clone -q "${SOURCE_DIR}" "${clone}")
    set(ENV{GIT_AUTHOR_NAME} release-test)
    set(ENV{GIT_AUTHOR_EMAIL} release-test@localhost)
    set(ENV{GIT_COMMITTER_NAME} release-test)
    set(ENV{GIT_COMMITTER_EMAIL} release-test@localhost)
    run(bash "${clone}/tools/release.sh" 9.8.7)
    run(git -C "${clone}" rev-parse "v9.8.7^{commit}")
    string(STRIP "${last_output}" tagged)
    file(READ "${clone}/README.md" readme)
    file(READ "${clone}/include/mistral/version.hpp" version_hpp)
    file(READ "${clone}/CHANGELOG.md" changelog)
    file(READ "${clone}/single_include/mistral/mistral.hpp" single)
    file(READ "${clone}/ports/mistral-cpp/vcpkg.json" port)
    file(READ "${clone}/tests/cmake/find_package/CMakeLists.txt" consumer)
    string(TIMESTAMP today "%Y-%m-%d")
    foreach(check "readme;    GIT_TAG ${tagged}  # v9.8.7" "version_hpp;#define MISTRAL_CPP_VERSION_STRING \"9.8.7\""
                  "changelog;## [Unreleased]\n\n## [9.8.7] - ${today}" "single;mistral-cpp 9.8.7"
                  "port;\"version-semver\": \"9.8.7\"" "readme;find_package(mistral-cpp 9.8 CONFIG REQUIRED)"
                  "consumer;find_package(mistral-cpp 9.8 CONFIG REQUIRED)")
        list(GET check 0 var)
        list(GET check 1 expected)
        string(FIND "${${var}}" "${expected}" at)
        if(at EQUAL -1)
            message(FATAL_ERROR "after tools/release.sh, ${var} lacks: ${expected}")
        endif()
    endforeach()
    run(tar tzf "${clone}/dist/mistral-cpp-9.8.7.tar.gz")
    if(last_output MATCHES "/tests/|/examples/|/tools/")
        message(FATAL_ERROR "the slim archive holds more than the library:\n${last_output}")
    endif()
elseif(ROUTE STREQUAL "meson_subproject")
    set(project "${WORK_DIR}/project")
    file(MAKE_DIRECTORY "${project}/subprojects")
    file(COPY_FILE "${SOURCE_DIR}/tests/meson_consumer/meson.build" "${project}/meson.build")
    file(COPY_FILE "${consumers}/consumer/main.cpp" "${project}/main.cpp")
    file(CREATE_LINK "${SOURCE_DIR}" "${project}/subprojects/mistral-cpp" SYMBOLIC)
    run(meson setup --wrap-mode=nodownload "${WORK_DIR}/build" "${project}")
    run(meson compile -C "${WORK_DIR}/build")
    run("${WORK_DIR}/build/consumer")
    message(STATUS "${last_output}")
elseif(ROUTE STREQUAL "single_header")
    # As a user who copied single_include/mistral/mistral.hpp: the header and the system libraries.
    run(pkg-config --cflags --libs cpp-httplib)
    string(STRIP "${last_output}" httplib_flags)
    separate_arguments(httplib_flags UNIX_COMMAND "${httplib_flags}")
    run(${CXX} -std=c++20 -I "${SOURCE_DIR}/single_include" "${SOURCE_DIR}/examples/stream_chat.cpp"
        ${httplib_flags} -lboost_json -lssl -lcrypto -o "${WORK_DIR}/stream_chat")
    run(${CXX} -std=c++20 -I "${SOURCE_DIR}/single_include" "${consumers}/consumer/main.cpp"
        ${httplib_flags} -lboost_json -lssl -lcrypto -o "${WORK_DIR}/consumer")
    run("${WORK_DIR}/consumer")
    message(STATUS "${last_output}")
elseif(ROUTE STREQUAL "vcpkg")
    run(${CMAKE_COMMAND} "-DSOURCE_DIR=${SOURCE_DIR}" "-DSTAGING=${WORK_DIR}/vcpkg" -P "${SOURCE_DIR}/tools/vcpkg_emulate.cmake")
    build_and_run_consumer("${consumers}/find_package" "-DCMAKE_PREFIX_PATH=${WORK_DIR}/vcpkg/packages/mistral-cpp_x64-linux")
else()
    message(FATAL_ERROR "unknown ROUTE ${ROUTE}")
endif()
