/* cart_probe: place_mpi_cart (place/mpi.h) gives a Cartesian communicator whose
 * coordinates are the subdomain's and whose neighbours (MPI_Cart_shift, translated back to
 * MPI_COMM_WORLD) are the subdomain's six neighbours, periodic axes included.
 *   cart_probe NX NY NZ [PERIODIC_AXES]     one line per rank; exit 1 on any mismatch */
#include <mpi.h>
#include <place.h>
#include <place/mpi.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int bad = 0, n[3];
    place_error e;
    for (int a = 0; a < 3; a++)
        if (argc < 4 || place_parse_int("grid", argv[1 + a], 1, 1 << 20, &n[a], &e) < 0) {
            fprintf(stderr, "usage: cart_probe NX NY NZ [xyz]\n");
            MPI_Abort(MPI_COMM_WORLD, 2);
        }
    place_solver_req q;
    place_solver_req_init(&q, n[0], n[1], n[2]);
    place_mpi_fill_req(&q, MPI_COMM_WORLD);
    q.nthreads = 1;
    for (const char *c = argc > 4 ? argv[4] : ""; *c; c++)
        q.decomp_flags |= PLACE_DECOMP_PERIODIC_X << (*c - 'x');
    place_subdomain *s;
    if (place_subdomain_get(&s, &q, &e) < 0) {
        fprintf(stderr, "cart_probe: %s\n", e.msg);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    MPI_Comm cart;
    if (place_mpi_cart(s, MPI_COMM_WORLD, &cart) != MPI_SUCCESS)
        MPI_Abort(MPI_COMM_WORLD, 2);
    int crank, coords[3];
    MPI_Comm_rank(cart, &crank);
    MPI_Cart_coords(cart, crank, 3, coords);
    for (int a = 0; a < 3; a++)
        bad |= coords[a] != s->box.coords[a];
    MPI_Group wg, cg;
    MPI_Comm_group(MPI_COMM_WORLD, &wg);
    MPI_Comm_group(cart, &cg);
    int nb[6];
    for (int a = 0; a < 3; a++) {
        int lo, hi;
        MPI_Cart_shift(cart, a, 1, &lo, &hi);
        int c2[2] = {lo, hi}, w2[2];
        for (int k = 0; k < 2; k++) {
            if (c2[k] == MPI_PROC_NULL)
                w2[k] = -1;
            else
                MPI_Group_translate_ranks(cg, 1, &c2[k], wg, &w2[k]);
        }
        nb[2 * a] = w2[0];
        nb[2 * a + 1] = w2[1];
    }
    bad |= memcmp(nb, s->box.neighbor, sizeof nb) != 0;
    printf(
        "rank %d (%s): coords %d,%d,%d cart %d,%d,%d neighbours %d %d %d %d %d %d / %d %d %d %d %d %d: %s\n",
        s->rank, place_source_name(s->source), s->box.coords[0], s->box.coords[1], s->box.coords[2],
        coords[0], coords[1], coords[2], s->box.neighbor[0], s->box.neighbor[1], s->box.neighbor[2],
        s->box.neighbor[3], s->box.neighbor[4], s->box.neighbor[5], nb[0], nb[1], nb[2], nb[3],
        nb[4], nb[5], bad ? "MISMATCH" : "ok");
    int any;
    MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Group_free(&wg);
    MPI_Group_free(&cg);
    MPI_Comm_free(&cart);
    place_subdomain_free(s);
    MPI_Finalize();
    return any ? 1 : 0;
}
