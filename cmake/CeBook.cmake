# Registration of the book's snippets, must-not-compile listings and header checks.
#
# Every snippet file goes through ce_add_snippet(); nothing else creates a test.
# The build configuration comes from CMakePresets.json:
#   CE_SANITIZE       sanitizers for every snippet ("address,undefined", "thread" or empty)
#   CE_SNIPPET_SCOPE  "all", or "threaded" for a tree that only builds the snippets
#                     that must also pass ThreadSanitizer

find_package(doctest REQUIRED)
find_package(Python3 REQUIRED COMPONENTS Interpreter)

set(CE_SANITIZE "" CACHE STRING "Sanitizers for snippets, e.g. address,undefined or thread")
set(CE_SNIPPET_SCOPE "all" CACHE STRING "Which snippets this tree builds: all or threaded")
# Must-not-compile listings are checked once per compiler, in the trees that set this.
option(CE_COMPILE_FAIL_TESTS "Register the must-not-compile checks in this tree" ON)
# clang-tidy with the repository's .clang-tidy, as a gate, in the trees that set this.
option(CE_TIDY_TESTS "Run clang-tidy on every snippet in this tree" OFF)
# clang-tidy 22 (Debian 12's bookworm-security package) runs the same checks as 19 about
# five times faster: it no longer walks the system headers' declarations (measured: 2.3 s
# against 12.2 s for concurrency/io_vs_cpu.cpp, the same findings on a seeded file).
# Its newer front end reports doctest's use of __COUNTER__ (standardised by C2y and
# C++26) under -Wpedantic; the compilers of record, g++ 12 and clang 19, accept it
# under the same flags, so the linter alone is told not to repeat that one diagnostic.
# The cache variable names the version, so that a tree configured for an older
# clang-tidy finds this one instead of keeping the cached path.
if(CE_TIDY_TESTS)
  find_program(CE_CLANG_TIDY_22 NAMES clang-tidy-22 REQUIRED)
  set(CE_CLANG_TIDY_ARGS --extra-arg=-Wno-c2y-extensions)
endif()
# The Python side of a topic (snippets/<chapter>/<topic>.py) runs once, in the trees that
# set this. It runs with -P: a snippet named logging.py must not shadow the module.
option(CE_PYTHON_TESTS "Run the topics' Python snippets in this tree" ON)
set_property(CACHE CE_SNIPPET_SCOPE PROPERTY STRINGS all threaded)

# ce_add_snippet(... CASES) also registers each doctest case of the snippet as a ctest
# test of its own (doctest_discover_tests), in the trees that set this: one tree is
# enough to show and check the mechanism, and the whole snippet runs in every tree.
option(CE_CASE_TESTS "Register every case of a CASES snippet as its own ctest test" OFF)

# Each public header compiled on its own (ce_add_header_checks), in the trees that set
# this. What those units check is what the preprocessor and the front end see: which
# headers a header includes, and definitions that collide. No ce header depends on the
# sanitizer, optimisation or coverage flags, so the g++ and clang AddressSanitizer trees
# (assertions on) and gcc-release (NDEBUG) cover every variant; the TSan and coverage
# trees would compile the same units again: 35 of them, about a sixth of a tree's
# compile time.
option(CE_HEADER_CHECKS "Compile each public header on its own in this tree" ON)

# Chapters whose every snippet also runs under ThreadSanitizer.
set(CE_THREADED_CHAPTERS concurrency async_patterns)

# The book's warning contract; deliberately not part of ce::ce, which consumers link.
add_library(ce_book_flags INTERFACE)
target_compile_options(ce_book_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror)
if(CE_SANITIZE)
  target_compile_options(ce_book_flags INTERFACE
    -fsanitize=${CE_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(ce_book_flags INTERFACE -fsanitize=${CE_SANITIZE})
endif()

# Line and branch coverage (gcov) of everything the snippets compile, which tools/coverage.py
# reports for include/ce: the gcc-coverage tree, -O0 so that lines and branches are the
# source's own and not what the optimiser left of them. The counters are updated
# atomically: the snippets run threads, and with GCC's default plain increments two
# threads lose counts, which gcov then reports as impossible ones ("branch taken -1")
# that stop gcovr.
option(CE_COVERAGE "Instrument the snippets for gcov" OFF)
if(CE_COVERAGE)
  target_compile_options(ce_book_flags INTERFACE --coverage -fprofile-update=atomic)
  target_link_options(ce_book_flags INTERFACE --coverage)
endif()

# One doctest main per build tree, shared by every snippet executable.
add_library(ce_doctest_main STATIC ${PROJECT_SOURCE_DIR}/tests/doctest_main.cpp)
target_link_libraries(ce_doctest_main PUBLIC doctest::doctest ce_book_flags)

set(CE_TEST_ENVIRONMENT
  "ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_string_checks=1"
  "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
  "TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1")

#[=[
ce_add_snippet(<chapter>/<topic>
               [THREADED] [CASES]
               [LIBS <target>...]
               [PYTHON_MODULE <name>]
               [PROGRAM <name>]
               [COMPILE_FAIL <region> <regex> [<region> <regex>...]])

Builds snippets/<chapter>/<topic>.cpp as a doctest executable, registers it as the
ctest test snippet.<chapter>.<topic> (and tidy.<chapter>.<topic>, clang-tidy as a gate,
where CE_TIDY_TESTS is on); runs snippets/<chapter>/<topic>.py, the Python
idiom the topic replaces, as python.<chapter>.<topic> when that file exists (it checks
itself with assert); and for each COMPILE_FAIL pair registers
compile_fail.<chapter>.<topic>.<region>: the file compiled with
-DCE_COMPILE_FAIL_<REGION> must fail, with a diagnostic matching <regex> that points
into that region. THREADED adds the snippet to the ThreadSanitizer tree (every snippet
of a chapter in CE_THREADED_CHAPTERS is threaded already). PYTHON_MODULE builds the same
source, with CE_PYTHON_MODULE defined, as the CPython extension module <name> (pybind11),
without sanitizers so that the plain interpreter can load it, and runs the .py with
CE_PYTHON_MODULE_DIR set to the module's folder. CASES registers, where CE_CASE_TESTS is
on, each doctest case as the ctest test case.<chapter>.<topic>.<case name>
(doctest_discover_tests), labelled "case" and the chapter.

PROGRAM is for a topic whose subject is a program (chapter 8's service): its sources
are the files of the folder snippets/<chapter>/<topic>/, headers that test units
include as "<topic>/<file>.hpp" and a main.cpp, which is built with the tree's flags as
the executable <name> (target program.<chapter>.<topic>). The topic's test unit finds
it through the environment variable CE_PROGRAM, to run it as a real process. A file
under snippets/ that a test unit includes with quotes (or that the program is built
from) is verified by that unit's runs, and its listings say so (tools/verify.py).
]=]
function(ce_add_snippet path)
  cmake_parse_arguments(PARSE_ARGV 1 arg "THREADED;CASES" "PYTHON_MODULE;PROGRAM" "LIBS;COMPILE_FAIL")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "ce_add_snippet(${path}): unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT path MATCHES "^([a-z_]+)/([a-z_]+)$")
    message(FATAL_ERROR "ce_add_snippet(${path}): expected <chapter>/<topic> in snake_case")
  endif()
  set(chapter ${CMAKE_MATCH_1})
  set(topic ${CMAKE_MATCH_2})
  set(src ${PROJECT_SOURCE_DIR}/snippets/${path}.cpp)
  if(NOT EXISTS ${src})
    message(FATAL_ERROR "ce_add_snippet(${path}): ${src} does not exist")
  endif()
  set_property(GLOBAL APPEND PROPERTY CE_REGISTERED_SNIPPETS ${src})
  if(arg_PROGRAM)
    file(GLOB_RECURSE sources LIST_DIRECTORIES false CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/snippets/${path}/*)
    set_property(GLOBAL APPEND PROPERTY CE_REGISTERED_SNIPPETS ${sources})
  endif()
  set(py ${PROJECT_SOURCE_DIR}/snippets/${path}.py)
  if(EXISTS ${py})
    set_property(GLOBAL APPEND PROPERTY CE_REGISTERED_SNIPPETS ${py})
    if(CE_PYTHON_TESTS)
      add_test(NAME python.${chapter}.${topic}
        COMMAND ${Python3_EXECUTABLE} -P -X dev -W error ${py})
      set_tests_properties(python.${chapter}.${topic} PROPERTIES LABELS "python;${chapter}")
      if(arg_PYTHON_MODULE)
        ce_add_python_module(${chapter} ${topic} ${arg_PYTHON_MODULE} ${src})
      endif()
    endif()
  endif()

  set(threaded ${arg_THREADED})
  if(chapter IN_LIST CE_THREADED_CHAPTERS)
    set(threaded TRUE)
  endif()
  if(CE_SNIPPET_SCOPE STREQUAL "threaded" AND NOT threaded)
    return()
  endif()

  set(target snippet.${chapter}.${topic})
  add_executable(${target} ${src})
  target_link_libraries(${target} PRIVATE ce::ce ce_doctest_main ce_book_flags ${arg_LIBS})
  # Test-only helpers such as <ce_test/child_process.hpp>; not part of ce::ce.
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/tests/support)
  add_test(NAME snippet.${chapter}.${topic} COMMAND ${target})
  set(environment ${CE_TEST_ENVIRONMENT})
  if(arg_PROGRAM)
    set(folder ${PROJECT_SOURCE_DIR}/snippets/${chapter}/${topic})
    if(NOT EXISTS ${folder}/main.cpp)
      message(FATAL_ERROR "ce_add_snippet(${path} PROGRAM ${arg_PROGRAM}): ${folder}/main.cpp does not exist")
    endif()
    set(program program.${chapter}.${topic})
    add_executable(${program} ${folder}/main.cpp)
    set_target_properties(${program} PROPERTIES OUTPUT_NAME ${arg_PROGRAM})
    target_link_libraries(${program} PRIVATE ce::ce ce_book_flags ${arg_LIBS})
    target_include_directories(${program} PRIVATE ${PROJECT_SOURCE_DIR}/snippets/${chapter})
    target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/snippets/${chapter})
    add_dependencies(${target} ${program})
    list(APPEND environment "CE_PROGRAM=$<TARGET_FILE:${program}>" "CE_TOPIC_SOURCES=${folder}")
  endif()
  set_tests_properties(snippet.${chapter}.${topic} PROPERTIES
    LABELS "snippet;${chapter}"
    ENVIRONMENT "${environment}")
  if(CE_TIDY_TESTS)
    # Findings in the snippet and in the ce headers it includes are errors (.clang-tidy).
    add_test(NAME tidy.${chapter}.${topic}
      COMMAND ${CE_CLANG_TIDY_22} -p ${CMAKE_BINARY_DIR} ${CE_CLANG_TIDY_ARGS} --quiet ${src})
    set_tests_properties(tidy.${chapter}.${topic} PROPERTIES LABELS "tidy;${chapter}")
  endif()
  if(arg_CASES AND CE_CASE_TESTS)
    # doctest's own CMake module: after the build it runs the executable with
    # --list-test-cases and adds one test per case, run with --test-case=<name>.
    include(${doctest_DIR}/doctest.cmake)
    doctest_discover_tests(${target} TEST_PREFIX "case.${chapter}.${topic}."
      PROPERTIES LABELS "case;${chapter}")
  endif()

  list(LENGTH arg_COMPILE_FAIL n)
  math(EXPR odd "${n} % 2")
  if(odd)
    message(FATAL_ERROR "ce_add_snippet(${path}): COMPILE_FAIL takes <region> <regex> pairs")
  endif()
  if(NOT CE_COMPILE_FAIL_TESTS)
    return()
  endif()
  while(arg_COMPILE_FAIL)
    list(POP_FRONT arg_COMPILE_FAIL region regex)
    string(TOUPPER "CE_COMPILE_FAIL_${region}" macro)
    string(REPLACE "-" "_" macro ${macro})
    add_test(NAME compile_fail.${chapter}.${topic}.${region}
      COMMAND Python3::Interpreter ${PROJECT_SOURCE_DIR}/tools/compile_fail.py
        --compile-commands ${CMAKE_BINARY_DIR}/compile_commands.json
        --source ${src} --region ${region} --define ${macro} --expect ${regex}
        --out ${CMAKE_BINARY_DIR}/diagnostics/${chapter}/${topic}/${region}.txt)
    set_tests_properties(compile_fail.${chapter}.${topic}.${region} PROPERTIES
      LABELS "compile_fail;${chapter}")
  endwhile()
endfunction()

# The extension module of ce_add_snippet(... PYTHON_MODULE <name>): the snippet's own
# source compiled with CE_PYTHON_MODULE, the book's warnings and no sanitizer (an
# ASan-built module cannot be loaded into an uninstrumented python without preloading
# libasan). The Python test finds it through CE_PYTHON_MODULE_DIR.
function(ce_add_python_module chapter topic name src)
  set(dir ${CMAKE_BINARY_DIR}/python_modules/${chapter}/${topic})
  ce_build_python_module(python_module.${chapter}.${topic} ${name} ${src} ${dir})
  set_tests_properties(python.${chapter}.${topic} PROPERTIES ENVIRONMENT "CE_PYTHON_MODULE_DIR=${dir}")
endfunction()

# Builds <src> with CE_PYTHON_MODULE defined as the extension module <name> in <dir>.
function(ce_build_python_module target name src dir)
  find_package(Python3 REQUIRED COMPONENTS Interpreter Development.Module)
  find_package(pybind11 CONFIG REQUIRED)
  pybind11_add_module(${target} MODULE ${src})
  set_target_properties(${target} PROPERTIES OUTPUT_NAME ${name} LIBRARY_OUTPUT_DIRECTORY ${dir})
  target_compile_definitions(${target} PRIVATE CE_PYTHON_MODULE)
  # Optimised even in a Debug tree: the Python side times it.
  target_compile_options(${target} PRIVATE -O2 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror)
endfunction()

# Fails the configuration when a file under snippets/ was never registered: a snippet
# nobody compiles must not exist.
function(ce_check_snippets_registered)
  file(GLOB_RECURSE all_snippets CONFIGURE_DEPENDS
    ${PROJECT_SOURCE_DIR}/snippets/*.cpp ${PROJECT_SOURCE_DIR}/snippets/*.hpp
    ${PROJECT_SOURCE_DIR}/snippets/*.py ${PROJECT_SOURCE_DIR}/snippets/*.cmake
    ${PROJECT_SOURCE_DIR}/snippets/*/CMakeLists.txt ${PROJECT_SOURCE_DIR}/snippets/*.json)
  get_property(registered GLOBAL PROPERTY CE_REGISTERED_SNIPPETS)
  foreach(file IN LISTS all_snippets)
    if(NOT file IN_LIST registered)
      file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${file})
      message(FATAL_ERROR "${rel}: snippet file is not registered; add ce_add_snippet() for its topic, "
        "or name its example project in the FILES of a ce_add_tool_run(), in snippets/CMakeLists.txt")
    endif()
  endforeach()
endfunction()

# Every public header must compile on its own, twice included, under the book's flags;
# and all of them together in one file, where two definitions of one name (an ODR
# violation that the linker never reports when they sit in different files) collide.
function(ce_add_header_checks)
  if(NOT CE_HEADER_CHECKS)
    # A tree that built them before keeps their objects, whose coverage notes would
    # count as never-run code in gcovr's report.
    file(REMOVE_RECURSE ${CMAKE_BINARY_DIR}/CMakeFiles/ce_header_checks.dir)
    return()
  endif()
  file(GLOB headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/ce/*.hpp)
  set(sources)
  set(every "")
  foreach(header IN LISTS headers)
    get_filename_component(name ${header} NAME_WE)
    set(check ${CMAKE_BINARY_DIR}/header_checks/${name}.cpp)
    file(CONFIGURE OUTPUT ${check} CONTENT "#include <ce/${name}.hpp>\n#include <ce/${name}.hpp>\n")
    list(APPEND sources ${check})
    string(APPEND every "#include <ce/${name}.hpp>\n")
  endforeach()
  if(every)
    set(check ${CMAKE_BINARY_DIR}/header_checks/every_header/all.cpp)
    file(CONFIGURE OUTPUT ${check} CONTENT "${every}")
    list(APPEND sources ${check})
  endif()
  if(sources)
    add_library(ce_header_checks OBJECT ${sources})
    target_link_libraries(ce_header_checks PRIVATE ce::ce ce_book_flags)
  endif()
endfunction()

# Benchmarks: built only in the "bench" preset, run by `make bench`, never by `make test`.
# Names follow <group>/<variant>; tools/bench.py divides each variant of a group by the
# group's first (baseline) variant.
function(ce_add_benchmark name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "LIBS;SOURCES")
  find_package(benchmark REQUIRED)
  list(TRANSFORM arg_SOURCES PREPEND ${PROJECT_SOURCE_DIR}/bench/)
  add_executable(bench.${name} ${PROJECT_SOURCE_DIR}/bench/${name}.cpp ${arg_SOURCES})
  target_link_libraries(bench.${name} PRIVATE ce::ce ce_book_flags benchmark::benchmark_main ${arg_LIBS})
  set_property(GLOBAL APPEND PROPERTY CE_BENCHMARKS bench.${name})
endfunction()

#[=[
ce_add_script_benchmark(<name> [ARGS <argument>...])

A benchmark written in Python, bench/<name>.py, run with Debian's interpreter by
bench/bench.<name>, which passes it ARGS (generator expressions allowed: the path of a
program this preset builds, say) before the Google Benchmark flags that tools/bench.py
passes. The script writes the same JSON (bench/script_benchmark.py).
]=]
function(ce_add_script_benchmark name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "ARGS")
  set(quoted "")
  foreach(argument IN LISTS arg_ARGS)
    string(APPEND quoted " '${argument}'")
  endforeach()
  file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/bench.${name}
    CONTENT "#!/bin/sh\nexec '${Python3_EXECUTABLE}' '${PROJECT_SOURCE_DIR}/bench/${name}.py'${quoted} \"$@\"\n"
    FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
endfunction()

#[=[
ce_add_python_benchmark(<name> MODULE <module> SOURCE <snippet.cpp>)

A script benchmark (ce_add_script_benchmark) that times the extension module a snippet
builds with CE_PYTHON_MODULE (see ce_add_python_module), compiled here by this preset's
compiler: the script gets the module's folder as --module-dir.
]=]
function(ce_add_python_benchmark name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "MODULE;SOURCE" "")
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/python_modules/${name})
  ce_build_python_module(bench_module.${name} ${arg_MODULE} ${PROJECT_SOURCE_DIR}/${arg_SOURCE} ${dir})
  ce_add_script_benchmark(${name} ARGS --module-dir ${dir})
  set_property(GLOBAL APPEND PROPERTY CE_BENCHMARKS bench_module.${name})
endfunction()

#[=[
ce_add_tool_run(<chapter>/<topic> <name>
                [PRESETS <preset>...]
                COMMAND <shell command>
                EXPECT <regex>...
                [EXIT_CODE <n>]
                [ARTIFACT <file>]
                [FILES <path>...])

A tool's real output for a page (`.. tool-output:: <chapter>/<topic>.cpp@<name>`): the
ctest test tool.<chapter>.<topic>.<name> runs COMMAND with sh in an empty temporary
folder, in the trees of the named presets only (default gcc-release: -O2, no
sanitizer), and passes when it exits with EXIT_CODE (default 0) and every EXPECT regex
matches its output (tools/tool_run.py). In COMMAND, @exe@ is the topic's snippet
executable, @src@ its source, @cxx@ this tree's C++ compiler, @include@ the book's
include folder, @tools@ its tools folder, @snippets@ the snippets folder, @build@ this
build tree and @fuzzer@ the topic's libFuzzer target (ce_add_fuzz_target); the page shows the command as a reader
types it in the book's root folder. ARTIFACT is a file the command writes, kept for the page.
@line:<region>:<text>@ in COMMAND and EXPECT is the number of the first line of that
region of the snippet that contains <text>: a compiler's remark names a loop by its line.

FILES are the files the command checks besides the snippet, relative to the book's root
folder (@root@ in COMMAND, shown as "."): a build file such as CMakeLists.txt, or a
folder, which stands for every file in it (an example project under
snippets/<chapter>/<topic>/). A page may show their regions (`# [name]` markers) with
`.. snippet::`: the run is their test, and changing one runs it again.
]=]
function(ce_add_tool_run path name)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "COMMAND;EXIT_CODE;ARTIFACT" "PRESETS;EXPECT;FILES")
  if(arg_UNPARSED_ARGUMENTS OR NOT arg_COMMAND OR NOT arg_EXPECT)
    message(FATAL_ERROR "ce_add_tool_run(${path} ${name}): needs COMMAND and EXPECT (unknown: ${arg_UNPARSED_ARGUMENTS})")
  endif()
  if(NOT name MATCHES "^[a-z0-9-]+$")
    message(FATAL_ERROR "ce_add_tool_run(${path} ${name}): name the run in lower-case-with-hyphens")
  endif()
  set(checked)
  foreach(file IN LISTS arg_FILES)
    set(full ${PROJECT_SOURCE_DIR}/${file})
    if(IS_DIRECTORY ${full})
      file(GLOB_RECURSE inside LIST_DIRECTORIES false CONFIGURE_DEPENDS ${full}/*)
      list(SORT inside)
      list(APPEND checked ${inside})
    elseif(EXISTS ${full})
      list(APPEND checked ${full})
    else()
      message(FATAL_ERROR "ce_add_tool_run(${path} ${name}): FILES names ${file}, which does not exist")
    endif()
  endforeach()
  # Registered in every tree, so that ce_check_snippets_registered knows them.
  set_property(GLOBAL APPEND PROPERTY CE_REGISTERED_SNIPPETS ${checked})
  if(NOT arg_PRESETS)
    set(arg_PRESETS gcc-release)
  endif()
  get_filename_component(preset ${CMAKE_BINARY_DIR} NAME)
  string(REPLACE "/" "." dotted ${path})
  set(target snippet.${dotted})
  if(NOT preset IN_LIST arg_PRESETS OR NOT TARGET ${target})
    return()
  endif()
  if(NOT arg_EXIT_CODE)
    set(arg_EXIT_CODE 0)
  endif()
  get_filename_component(cxx ${CMAKE_CXX_COMPILER} NAME)
  set(command "${arg_COMMAND}")
  set(shown "${arg_COMMAND}")
  file(RELATIVE_PATH build_folder ${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR})
  set(fuzzer fuzz.${dotted})  # ce_add_fuzz_target's executable, where this tree has one
  if(TARGET ${fuzzer})
    set(fuzzer_pair "fuzzer;$<TARGET_FILE:${fuzzer}>;${build_folder}/snippets/${fuzzer}")
  else()
    set(fuzzer_pair "fuzzer;@fuzzer@;@fuzzer@")
  endif()
  foreach(pair "exe;$<TARGET_FILE:${target}>;${build_folder}/snippets/${target}" "${fuzzer_pair}"
               "snippets;${PROJECT_SOURCE_DIR}/snippets;snippets"
               "src;${PROJECT_SOURCE_DIR}/snippets/${path}.cpp;snippets/${path}.cpp"
               "cxx;${CMAKE_CXX_COMPILER};${cxx}"
               "include;${PROJECT_SOURCE_DIR}/include;include"
               "tools;${PROJECT_SOURCE_DIR}/tools;tools"
               "root;${PROJECT_SOURCE_DIR};."
               "build;${CMAKE_BINARY_DIR};${build_folder}")
    list(GET pair 0 key)
    list(GET pair 1 real)
    list(GET pair 2 display)
    string(REPLACE "@${key}@" "${real}" command "${command}")
    string(REPLACE "@${key}@" "${display}" shown "${shown}")
  endforeach()
  # A semicolon would split the argument where add_test expands the list: it travels
  # as $<SEMICOLON>, which the generator turns back into ";".
  string(REPLACE ";" "$<SEMICOLON>" command "${command}")
  string(REPLACE ";" "$<SEMICOLON>" shown "${shown}")
  set(args --out ${CMAKE_BINARY_DIR}/tool_runs/${path}/${name}.json
    --command "${command}" --shown "${shown}" --exit-code ${arg_EXIT_CODE}
    --source ${PROJECT_SOURCE_DIR}/snippets/${path}.cpp)
  foreach(regex IN LISTS arg_EXPECT)
    string(REPLACE ";" "$<SEMICOLON>" regex "${regex}")
    list(APPEND args --expect "${regex}")
  endforeach()
  if(arg_ARTIFACT)
    list(APPEND args --artifact ${arg_ARTIFACT})
  endif()
  foreach(file IN LISTS checked)
    list(APPEND args --file ${file})  # for tools/verify.py: what the run checks
  endforeach()
  add_test(NAME tool.${dotted}.${name}
    COMMAND Python3::Interpreter ${PROJECT_SOURCE_DIR}/tools/tool_run.py ${args})
  string(REGEX MATCH "^[a-z_]+" chapter ${path})
  set_tests_properties(tool.${dotted}.${name} PROPERTIES LABELS "tool;${chapter}"
    ENVIRONMENT "${CE_TEST_ENVIRONMENT}")
endfunction()

#[=[
ce_add_fuzz_target(<chapter>/<topic> [LIBS <target>...])

In trees compiled by clang (libFuzzer is clang's), builds snippets/<chapter>/<topic>.cpp
a second time as the libFuzzer executable fuzz.<chapter>.<topic>: with CE_FUZZ defined,
under which the snippet defines LLVMFuzzerTestOneInput, and DOCTEST_CONFIG_IMPLEMENT,
which gives doctest's code without its main (libFuzzer's main runs; the test cases are
registered and never run); with the tree's sanitizers and -fsanitize=fuzzer. A tool
run (ce_add_tool_run ... PRESETS clang-asan) runs it, bounded in time, as @fuzzer@.
]=]
function(ce_add_fuzz_target path)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "LIBS")
  string(REPLACE "/" "." dotted ${path})
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR NOT TARGET snippet.${dotted})
    return()
  endif()
  set(target fuzz.${dotted})
  add_executable(${target} ${PROJECT_SOURCE_DIR}/snippets/${path}.cpp)
  target_compile_definitions(${target} PRIVATE CE_FUZZ DOCTEST_CONFIG_IMPLEMENT)
  target_link_libraries(${target} PRIVATE ce::ce doctest::doctest ce_book_flags ${arg_LIBS})
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/tests/support)
  target_compile_options(${target} PRIVATE -fsanitize=fuzzer)
  target_link_options(${target} PRIVATE -fsanitize=fuzzer)
endfunction()
