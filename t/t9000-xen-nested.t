#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The xen backend on a real hypervisor: Xen 4.17 from Debian boots nested
# under QEMU TCG with a dom0 that t/xen/mkdom0 assembles (Debian's xl and
# daemons, this checkout's clone tools, a PV guest from potemkin-mkimage).
# Inside dom0, t/xen/dom0-test runs potemkin-snapshot, three potemkin-clone,
# potemkin-freeze and potemkin-teardown with the xen backend, then tries the
# netns clones' cage on dom0 as on a Debian host (Linux 6.1, cgroup v2
# alone), and reports TAP on the serial console; each of its results is one
# result here, and its measurements are shown as comments.  Needs only QEMU (and apt to
# fetch the packages the first time, cached in build/xen).
test_description='clone tools: xen backend on Xen nested under QEMU'
. "$(dirname "$0")/lib/test-lib.sh"
test_require QEMU

xen=${POTEMKIN_XEN_DIR:-$SRC_ROOT/build/xen}
# The whole boot, test and power-off; seen to take about two minutes.
limit=${POTEMKIN_XEN_TIMEOUT:-600}
serial=$TRASH/serial.log
qemu_pid=

# QEMU runs under timeout(1), which kills it at the hard limit even if this
# script is gone; stopping timeout stops QEMU.
stop_qemu() {
	if [ -n "$qemu_pid" ]; then
		kill -TERM "$qemu_pid" 2>/dev/null
		wait "$qemu_pid" 2>/dev/null
		qemu_pid=
	fi
	return 0
}
# Keep the console of the last run for whoever looks into a failure.
test_atexit 'stop_qemu; cp "$serial" "$xen/serial.log" 2>/dev/null'

elapsed() { echo $(( $(date +%s) - $1 )); }
# The console as lines, without the serial line's carriage returns.
console() { [ ! -f "$serial" ] || tr -d '\r' <"$serial"; }

test_expect_success 'mkdom0 builds (or reuses) Xen, dom0 and the guest' '
	t0=$(date +%s) &&
	"$SRC_ROOT/t/xen/mkdom0" "$xen" 2>&4 &&
	test -s "$xen/xen" && test -s "$xen/vmlinuz" && test -s "$xen/initrd.img" &&
	echo "# t9000: image ready in $(elapsed $t0) s ($(date -u +%T))" >&4
'

test_expect_success 'Xen boots, dom0 runs the test and reports its end' '
	if ! { test -s "$xen/initrd.img" &&
	: >"$serial" &&
	t0=$(date +%s) &&
	{ timeout -k 5 $((limit + 30)) \
	  qemu-system-x86_64 -machine pc,accel=tcg -cpu qemu64,+svm,+npt \
		-m 2G -smp 2 -display none -monitor none -nic none -no-reboot \
		-serial file:"$serial" -pidfile "$TRASH/qemu.pid" \
		-kernel "$xen/xen" \
		-append "console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M loglvl=warning guest_loglvl=warning" \
		-initrd "$xen/vmlinuz console=hvc0 quiet loglevel=3,$xen/initrd.img" \
		</dev/null & } &&
	qemu_pid=$! &&
	test_wait_for 30 "test -s \"\$TRASH/qemu.pid\"" &&
	cp "$TRASH/qemu.pid" "$TRASH/qemu.pid.kept" &&
	test_wait_for $limit "grep -q \"^POTEMKIN-DOM0-END\" \"\$serial\" || ! kill -0 $qemu_pid" &&
	echo "# t9000: Xen booted, ran the test in dom0 and ended in $(elapsed $t0) s ($(date -u +%T))" >&4 &&
	stop_qemu &&
	console | grep -q "^POTEMKIN-DOM0-END status=0\$"; }
	then
		stop_qemu; console | tail -n 80; false
	fi
'

# Each of dom0's results, with its diagnostics when it failed.
console | sed -n 's/^# measure: /# xen measured: /p'
inner=0
while IFS= read -r line; do
	case $line in
	"ok "* | "not ok "*)
		inner=$((inner + 1))
		what=${line#*ok [0-9]* - }
		console | awk -v want="$line" '
			found && /^(ok|not ok) / { exit }
			found && /^#/ { print }
			$0 == want { found = 1 }' >"diag.$inner"
		case $line in
		ok*) test_expect_success "dom0: $what" 'true' ;;
		*) test_expect_success "dom0: $what" "cat diag.$inner && false" ;;
		esac
		;;
	esac
done <<EOF
$(console | grep -E '^(not )?ok [0-9]+ - ')
EOF

test_expect_success 'dom0 ran its whole plan' '
	plan=$(console | sed -n "s/^1\.\.\([0-9]*\)\$/\1/p" | tail -n 1) &&
	test -n "$plan" && test "$plan" = $inner && test $inner -ge 10
'

test_expect_success 'no QEMU is left' '
	stop_qemu &&
	if test -f "$TRASH/qemu.pid.kept"; then
		pid=$(cat "$TRASH/qemu.pid.kept") &&
		test_wait_for 10 "! kill -0 $pid"
	fi
'

test_done
