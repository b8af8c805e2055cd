# SPDX-License-Identifier: BSD-2-Clause
# Doxygen INPUT_FILTER for include/svmm/*.h (make docs, docs/docs.mk). The headers document their
# API in plain C comments; this makes Doxygen read them as doc comments, line for line (line numbers
# stay those of the header, so warnings point at the real line):
#  - line 1 (the SPDX line) stays a plain comment;
#  - the comment that opens the file (line 2) becomes the file's description (/** ... \file */);
#  - any other comment that starts a line becomes /** (it documents the declaration below it);
#  - a comment after code on its line becomes /**< (it documents that member, macro or enumerator).
# ACSL annotations (/*@ ... */) stay plain comments. Text inside a comment is left alone, so "src/*.c" in a comment does not open another one.
BEGIN { in_comment = 0; file_comment = 0 }
NR == 1 { print; next }
{
    line = $0
    if (in_comment) {
        end = index(line, "*/")
        if (end) {
            in_comment = 0
            if (file_comment) { line = substr(line, 1, end - 1) "\\file " substr(line, end); file_comment = 0 }
        }
        print line; next
    }
    start = index(line, "/*")
    if (!start) { print line; next }
    before = substr(line, 1, start - 1)
    rest = substr(line, start + 2)
    if (NR == 2 && before == "") {
        file_comment = 1; mark = "/**"
    } else if (before ~ /^[ \t]*$/) {
        mark = "/**"
    } else {
        mark = "/**<"
    }
    # a doc comment already, or an ACSL annotation for Frama-C (/*@ ... */): leave it as written
    c = substr(rest, 1, 1)
    if (c == "*" || c == "!" || c == "@") { mark = "/*"; file_comment = 0 }
    end = index(rest, "*/")
    if (end) {
        if (file_comment) { rest = substr(rest, 1, end - 1) "\\file " substr(rest, end); file_comment = 0 }
    } else {
        in_comment = 1
    }
    print before mark rest
}
