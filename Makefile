# Convenience targets. The scripts in scripts/ are the source of truth; each target only calls one.
#
#   make            build user space (build/) and the guest kernel module (kernel/opendxg.ko)
#   make user       meson build in build/ (host programs + static guest programs)
#   make kmod       kernel/opendxg.ko for the guest kernel (scripts/guest-kernel)
#   make asan       ASan+UBSan build of the host programs in build-asan/
#   make deps       install the Debian packages the project needs (root)
#   make test       run every test suite (scripts/test.sh)
#   make run        the main demo: dxgd + QEMU guests running a compute workload (scripts/main.sh)
#   make check-scripts  self-test of scripts/vm-run, plus shellcheck when installed
#   make clean      remove build/, build-asan/ and the module's build products

SCRIPTS := scripts

.PHONY: all build user kmod asan deps test run check-scripts clean help

all build:
	$(SCRIPTS)/build

user kmod asan clean:
	$(SCRIPTS)/build $@

deps:
	$(SCRIPTS)/install-deps

test:
	$(SCRIPTS)/test.sh

run:
	$(SCRIPTS)/main.sh

check-scripts:
	$(SCRIPTS)/vm-run --self-test
	@if command -v shellcheck >/dev/null; then \
		shellcheck $(SCRIPTS)/build $(SCRIPTS)/install-deps $(SCRIPTS)/guest-kernel $(SCRIPTS)/vm-run; \
	else \
		echo "shellcheck not installed: skipped"; \
	fi

help:
	@sed -n '3,13s/^# \{0,1\}//p' Makefile
