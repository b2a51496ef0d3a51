/* mpi_hello: a 15-line MPI program (init, a barrier, a rank's line, finalize), with some
 * work so that its main thread counts as a compute thread for the monitor. */
#include <mpi.h>
#include <stdio.h>
int main(int argc, char **argv)
{
    int rank, size;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    volatile double x = 1;
    double t0 = MPI_Wtime();
    while (MPI_Wtime() - t0 < 0.5)
        x = x * 1.0000001 + 1e-9;
    MPI_Barrier(MPI_COMM_WORLD);
    printf("hello from rank %d of %d\n", rank, size);
    MPI_Finalize();
    return 0;
}
