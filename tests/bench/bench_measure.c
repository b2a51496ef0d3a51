/* bench_measure: what measuring costs.
 *   - one recorded step (work_begin + work_end + step_end) for 1 thread, without and with
 *     per-step counters (migrations and switches read every step);
 *   - one counter read per backend that is usable here.
 * Medians of 7 batches; prints figures, asserts only that the counts add up. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "bench.h"
#include "place.h"

static double step_cost(unsigned flags, int n)
{
    double t[7];
    for (int b = 0; b < 7; b++) {
        place_steprec *r;
        place_steprec_create(&r, 1, 1024, flags, NULL);
        double t0 = now();
        for (int i = 0; i < n; i++) {
            place_steprec_work_begin(r, 0);
            place_steprec_work_end(r, 0);
            place_steprec_step_end(r);
        }
        t[b] = (now() - t0) / n * 1e9;
        place_step_stats st;
        place_steprec_stats(r, &st);
        CHECK(st.steps == n);
        place_steprec_free(r);
    }
    qsort(t, 7, sizeof *t, cmp_double);
    return t[3];
}

int main(void)
{
    printf("bench_measure: medians of 7 batches\n");
    printf("  recorded step, 1 thread, no counters:     %8.1f ns\n", step_cost(0, 200000));
    printf("  recorded step, 1 thread, with counters:   %8.1f ns\n",
           step_cost(PLACE_STEPREC_COUNTERS, 20000));
    place_backend_status st[PLACE_NBACKEND];
    place_backend chosen[PLACE_NCTR];
    place_counters_probe(st, chosen);
    place_counters *c;
    place_counters_open(&c, NULL);
    for (int b = PLACE_BACKEND_PAPI; b < PLACE_NBACKEND; b++) {
        int k = b == PLACE_BACKEND_RUSAGE ? PLACE_CTR_INVOL_SWITCHES : PLACE_CTR_MIGRATIONS;
        if (!st[b].usable) {
            printf("  one counter read, %-10s  unavailable: %s\n", place_backend_name(b),
                   st[b].why);
            continue;
        }
        double t[7];
        for (int r = 0; r < 7; r++) {
            double t0 = now();
            int64_t sum = 0;
            for (int i = 0; i < 20000; i++)
                sum += place_counters_read_backend(c, (place_backend)b, (place_ctr)k);
            t[r] = (now() - t0) / 20000 * 1e9;
            if (sum < 0) /* keeps the reads; a negative sum would be a bug */
                fprintf(stderr, "negative counter sum\n");
        }
        qsort(t, 7, sizeof *t, cmp_double);
        printf("  one counter read, %-10s %8.1f ns (%s)\n", place_backend_name(b), t[3],
               place_ctr_name(k));
    }
    double t[7];
    for (int r = 0; r < 7; r++) {
        double t0 = now();
        for (int i = 0; i < 20000; i++) {
            int64_t v[PLACE_NCTR];
            place_counters_read(c, v);
        }
        t[r] = (now() - t0) / 20000 * 1e9;
    }
    qsort(t, 7, sizeof *t, cmp_double);
    printf("  all %d counters (chosen backends):    %8.1f ns\n", PLACE_NCTR, t[3]);
    place_counters_free(c);
    return 0;
}
