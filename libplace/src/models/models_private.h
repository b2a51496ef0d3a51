/* models/models_private.h: the models layer's private header: what its files share. */
#ifndef PLACE_MODELS_PRIVATE_H
#define PLACE_MODELS_PRIVATE_H

#include "place/models.h"

/* Panjer's recursion for the compound Poisson sum of lambda (mean) draws whose lengths have
 * the pmf f[0..M] on a grid of step h: the delay's pmf into g (cap points at most; grown
 * while the rest weighs 1e-12 or more, and to at least min_n + 1 points), then into *d,
 * which takes g; f is freed. The Poisson model's delay (noisemodels.c) and a PU's delay
 * from its measured lengths (noiseprof.c). */
void models_panjer(double *f, int M, double h, double lambda, double *g, int cap, int min_n,
                   place_delay_dist *d);

#endif
