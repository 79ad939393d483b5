/* SPDX-License-Identifier: ISC */
/*
 * The fast path's BPF object (fastpath.bpf.c, as clang built it) inside the
 * gateway, so that the gateway loads exactly the program it was built with
 * and never reads one from a file.  FP_BPF_OBJ names the object; the make
 * rule that defines it also makes this file depend on it.
 */
#include <stddef.h>

#ifndef FP_BPF_OBJ
#error "FP_BPF_OBJ must name the compiled fastpath.bpf.o"
#endif

__asm__(
	"\t.section .rodata\n"
	"\t.balign 8\n"
	"\t.globl fp_bpf_obj\n"
	"\t.type fp_bpf_obj, @object\n"
	"fp_bpf_obj:\n"
	"\t.incbin \"" FP_BPF_OBJ "\"\n"
	"fp_bpf_obj_end:\n"
	"\t.size fp_bpf_obj, fp_bpf_obj_end - fp_bpf_obj\n"
	"\t.balign 8\n"
	"\t.globl fp_bpf_obj_len\n"
	"\t.type fp_bpf_obj_len, @object\n"
	"fp_bpf_obj_len:\n"
	"\t.quad fp_bpf_obj_end - fp_bpf_obj\n"
	"\t.size fp_bpf_obj_len, 8\n"
	"\t.previous\n");
