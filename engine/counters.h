/* SPDX-License-Identifier: ISC */
/*
 * The engine's counters and gauges, each named once.  struct eng_stats is
 * made from these lists, and so are every report of them (potemkin-ctl
 * stats, the replay's JSON report): a counter added here appears in all.
 *
 * X(name) for a counter (uint64_t, only ever grows) and for a gauge (size_t,
 * a current size or a bound); the name is the field and the reported key.
 */
#ifndef POTEMKIN_ENGINE_COUNTERS_H
#define POTEMKIN_ENGINE_COUNTERS_H

#define ENG_COUNTERS(X) \
	X(in_packets) X(out_packets) \
	X(malformed)		/* failed to parse */ \
	X(martian)		/* impossible outside sources */ \
	X(special_source)	/* special-purpose sources: private, link-local, ... */ \
	X(farm_source)		/* outside packets "from" the farm itself */ \
	X(special_dest)		/* passes refused towards special-purpose addresses */ \
	X(not_ipv4)		/* IPv6 and others, dropped */ \
	X(not_farm)		/* inbound for an address outside the farm */ \
	X(unknown_clone)	/* outbound from an interface no clone owns */ \
	X(spoofed)		/* outbound with a source not the clone's */ \
	X(fragments_dropped) \
	X(flow_hits) X(flow_misses) \
	X(delivered) X(parked) X(park_dropped) \
	X(passed) X(proxied) X(reflected) X(rejected) X(dropped) \
	X(rate_limited) \
	X(scan_filtered)	/* sources that crossed a threshold */ \
	X(clones_started) X(clones_ready) X(clones_failed) \
	X(over_vms) X(over_clones) X(backoff_dropped) X(table_full) \
	X(reclaimed_idle) X(reclaimed_lifetime) X(reclaimed_pressure) \
	X(reclaimed_operator) X(reclaimed_infected) X(reclaimed_exit) \
	X(reclaimed_host)	/* their VMM host went down */ \
	X(infected) X(frozen) \
	X(dns_questions) X(dns_answers) X(dns_timeouts) X(dns_bad) \
	X(dns_limited)		/* questions over a clone's rate or share */ \
	X(reloads) \
	X(fp_offers)	/* flows the kernel took to carry */ \
	X(fp_refusals)	/* flows offered it did not take */ \
	X(fp_withdrawals)	/* offers taken back one by one */ \
	X(fp_packets_seen)	/* packets the kernel carried, as it reported */ \
	X(fp_bytes_seen) \
	X(events_folded)	/* log and dns events told as a count */

#define ENG_GAUGES(X) \
	X(vms)			/* live bindings */ \
	X(pending)		/* bindings waiting for their clone */ \
	X(universes) X(universes_max) \
	X(flows) X(flows_max) \
	X(history) X(history_max) \
	X(scan_sources) X(scan_sources_max) \
	X(dns_outstanding) X(dns_max) \
	X(backoffs) \
	X(table_bytes)		/* all tables, their own accounting */ \
	X(flows_bytes)		/* the flow cache's share of table_bytes */

#endif
