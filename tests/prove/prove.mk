# Frama-C WP proofs of the guest-facing parsers (docs/proofs.md); included by the Makefile.
#   make prove      every check: "ok FILE:FUNCTION" per proved function, then "prove: N passed, N failed"
# Needs Debian's frama-c-base, why3 and cvc4 (apt-get install --no-install-recommends frama-c-base why3 cvc4).
.PHONY: prove
prove:
	@tests/prove/prove.sh $(BUILD)/prove
