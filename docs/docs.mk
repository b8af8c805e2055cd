# SPDX-License-Identifier: BSD-2-Clause
# make docs: the API reference and the C4 diagrams, into $(BUILD)/docs/ (included by the Makefile).
#   $(BUILD)/docs/api/index.html   Doxygen, from the comments in include/svmm/*.h and sel4/*.h (docs/Doxyfile)
#   $(BUILD)/docs/c4/*.svg         Graphviz dot, from docs/c4/*.dot
# Every Doxygen warning (an undocumented function, struct, member, macro or enumerator of a public
# header; a broken doc command) fails the target: its log, $(BUILD)/docs/warnings.log, must be empty.
# The diagrams' names are checked against the tree first (tests/lint/c4-names.sh, also in make test).
# Needs doxygen and graphviz from Debian; as root make docs installs them, make test never needs them.
DOCS_OUT := $(BUILD)/docs
C4_SRCS := $(wildcard docs/c4/*.dot)
C4_SVGS := $(patsubst docs/c4/%.dot,$(DOCS_OUT)/c4/%.svg,$(C4_SRCS))

.PHONY: docs docs-api docs-c4 docs-deps

docs: docs-api docs-c4
	@echo "docs: API reference $(DOCS_OUT)/api/index.html, diagrams $(DOCS_OUT)/c4/ ($(words $(C4_SVGS)) SVGs)"

docs-deps:
	@missing=; for t in doxygen:doxygen dot:graphviz; do command -v $${t%%:*} >/dev/null || missing="$$missing $${t#*:}"; done; \
	if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then echo "[docs] installing:$$missing"; \
	        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing >/dev/null; \
	    else echo "make docs needs:$$missing (apt-get install$$missing, as root)"; exit 1; fi; fi

docs-api: docs-deps
	@mkdir -p $(DOCS_OUT)
	@rm -rf $(DOCS_OUT)/api $(DOCS_OUT)/warnings.log
	@echo "  DOXYGEN $(DOCS_OUT)/api"
	@SVMM_VERSION="$(VERSION)" DOCS_OUT="$(DOCS_OUT)" doxygen docs/Doxyfile
	@if [ -s $(DOCS_OUT)/warnings.log ]; then sed 's|^$(CURDIR)/||' $(DOCS_OUT)/warnings.log; \
	    echo "docs: $$(wc -l < $(DOCS_OUT)/warnings.log) Doxygen warnings (above; $(DOCS_OUT)/warnings.log)"; exit 1; fi
	@echo "docs: API reference without warnings"

docs-c4: docs-deps
	@out=$$(tests/lint/c4-names.sh 2>&1) || { grep -v '^ok' <<<"$$out"; exit 1; }; tail -n1 <<<"$$out"
	@$(MAKE) -s $(C4_SVGS)

$(DOCS_OUT)/c4/%.svg: docs/c4/%.dot
	@mkdir -p $(dir $@)
	@echo "  DOT $@"
	@dot -Tsvg $< -o $@
