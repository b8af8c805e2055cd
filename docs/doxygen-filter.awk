# SPDX-License-Identifier: BSD-2-Clause
# Doxygen INPUT_FILTER for include/svmm/*.h (make docs, docs/docs.mk). The headers document their
# API in plain C comments; this makes Doxygen read them as doc comments, line for line (line numbers
# stay those of the header, so warnings point at the real line):
#  - line 1 (the SPDX line) stays a plain comment;
#  - the comment that opens the file (line 2) becomes the file's description (/** ... \file */);
#  - any other comment that starts a line becomes /** (it documents the declaration below it);
#  - a comment after code on its line becomes /**< (it documents that member, macro or enumerator);
#  - a comment after several declarators on one line documents each of them (written in front of
#    the line, on the same line, as a member group);
#  - a comment above several declarations with no blank line between them documents each of them,
#    as a C reader takes it: they become a Doxygen member group (/**@{*/ ... /**@}*/, with
#    DISTRIBUTE_GROUP_DOC), closed at the line that ends the run (a blank line, a comment, a
#    closing brace, a preprocessor conditional). Not inside function bodies; not for a comment
#    above a struct, union, enum or function definition, which documents that one.
# ACSL annotations (/*@ ... */) stay plain comments, and so does a comment that only introduces one. Text inside a comment is left alone, so
# "src/*.c" in a comment does not open another one.
BEGIN { in_comment = 0; file_comment = 0; group = 0; pending = 0; depth = 0; in_func = 0; new_stmt = 1; aggregate = 0 }
function braces(s,    t, o, c) {
    t = s; o = gsub(/\{/, "{", t); c = gsub(/\}/, "}", t)
    return o - c
}
# several declarators in one declaration: a comma outside parentheses and braces, ending in ';'
function multi_decl(s,    i, ch, d) {
    if (s !~ /;[ \t]*$/ || s ~ /^[ \t]*#/) return 0
    d = 0
    for (i = 1; i <= length(s); i++) {
        ch = substr(s, i, 1)
        if (ch == "(" || ch == "{" || ch == "[") d++
        else if (ch == ")" || ch == "}" || ch == "]") d--
        else if (ch == "," && d == 0) return 1
    }
    return 0
}
{ lines[NR] = $0 }
END {
    print lines[1]
    for (ln = 2; ln <= NR; ln++) filter(ln)
    if (group) print "/**@}*/"
}
# Inside a struct, union or enum, a comment above members that have comments of their own is taken
# as the first member's alone: group the run only if none of its lines has a trailing comment.
function run_commented(i, d,    j, dd, t, st) {
    dd = 0
    for (j = i; j <= NR; j++) {
        t = lines[j]; st = index(t, "/*")
        if (st) { if (substr(t, 1, st - 1) ~ /^[ \t]*$/ && dd == 0) return 0; t = substr(t, 1, st - 1) }
        if (dd == 0 && (t ~ /^[ \t]*$/ || t ~ /^[ \t]*\}/ || t ~ /^#(if|ifdef|ifndef|else|elif|endif|include)/)) return 0
        if (dd == 0 && st && j > i - 1) return 1
        dd += braces(t)
    }
    return 0
}
# A comment followed by an ACSL block (/*@ ... */) and then a blank line introduces that block: it
# documents no declaration and stays a plain comment.
function about_acsl(i,    j) {
    for (j = i; j <= NR && !index(lines[j], "*/"); j++) ;
    j++
    if (j > NR || lines[j] !~ /^[ \t]*\/\*@/) return 0
    for (; j <= NR && !index(lines[j], "*/"); j++) ;
    return j + 1 <= NR && lines[j + 1] ~ /^[ \t]*$/
}
function filter(ln,    line, start, code, blank_code, depth_before, prefix, before, rest, c, end) {
    line = lines[ln]
    if (in_comment) {
        end = index(line, "*/")
        if (end) {
            in_comment = 0
            if (file_comment) { line = substr(line, 1, end - 1) "\\file " substr(line, end); file_comment = 0 }
            else if (lead_doc && !in_func) pending = 1
        }
        print line; return
    }
    start = index(line, "/*")
    code = start ? substr(line, 1, start - 1) : line
    blank_code = (code ~ /^[ \t]*$/)
    depth_before = depth
    depth += braces(code)
    prefix = ""
    # a run of declarations under a leading comment ends here?
    if (group && depth_before == gdepth &&
        (blank_code || code ~ /^[ \t]*\}/ || code ~ /^#(if|ifdef|ifndef|else|elif|endif|include)/)) {
        prefix = "/**@}*/ "; group = 0
    }
    # the first line after a leading comment: group it unless it opens a body (struct, function)
    if (pending) {
        pending = 0
        if (!blank_code && depth == depth_before && code !~ /^#(if|ifdef|ifndef|else|elif|endif|include)/ &&
            !(depth_before > 0 && run_commented(ln, depth_before))) {
            prefix = prefix "/**@{*/ "; group = 1; gdepth = depth_before
        }
    }
    # a declaration at file level starts: is it a struct, union or enum (a body of members)?
    if (depth_before == 0 && new_stmt && !blank_code && code !~ /^#/) {
        aggregate = (code ~ /^[ \t]*(typedef[ \t]+)?(struct|union|enum)/); new_stmt = 0
    }
    if (depth == 0 && (code ~ /[;}][ \t]*$/ || code ~ /^#/)) new_stmt = 1
    if (depth_before == 0 && depth > 0 && !aggregate) in_func = 1
    if (depth <= 0) in_func = 0
    if (!start) { print prefix line; return }
    before = code
    rest = substr(line, start + 2)
    lead_doc = 0
    if (ln == 2 && before == "") {
        file_comment = 1; mark = "/**"
    } else if (before ~ /^[ \t]*$/) {
        mark = "/**"; lead_doc = 1
        if (about_acsl(ln)) { mark = "/*"; lead_doc = 0 }
    } else {
        mark = "/**<"
    }
    # a doc comment already, or an ACSL annotation for Frama-C (/*@ ... */): leave it as written
    c = substr(rest, 1, 1)
    if (c == "*" || c == "!" || c == "@") { mark = "/*"; file_comment = 0; lead_doc = 0 }
    end = index(rest, "*/")
    # a trailing comment after several declarators (`size_t l3, l4; /* offsets */`) documents each:
    # written in front of them, as a member group, on the same line
    if (mark == "/**<" && end && !group && substr(rest, end + 2) ~ /^[ \t]*$/ && multi_decl(before)) {
        match(before, /^[ \t]*/)
        print prefix substr(before, 1, RLENGTH) "/**" substr(rest, 1, end - 1) "*/ /**@{*/ " substr(before, RLENGTH + 1) "/**@}*/"
        return
    }
    if (end) {
        if (file_comment) { rest = substr(rest, 1, end - 1) "\\file " substr(rest, end); file_comment = 0 }
        else if (lead_doc && !in_func && substr(rest, end + 2) ~ /^[ \t]*$/) pending = 1
    } else {
        in_comment = 1
    }
    print prefix before mark rest
}
