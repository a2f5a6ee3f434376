/*
 * stress.h - kzwork's threaded stress (stress.c), one entry of the table
 * of workloads in workloads.c.
 */
#ifndef KZB_STRESS_H
#define KZB_STRESS_H

/* mstress: rounds of threads trading objects of a long tail of sizes; exits 1 on failure. */
void stress_mstress(double scale);

#endif
