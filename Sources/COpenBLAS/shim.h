// OpenBLAS's CBLAS interface plus the few LAPACK routines dpq calls (Fortran ABI; Debian's
// libopenblas ships LAPACK but no LAPACKE header in the openblas-pthread include folder).
#include <cblas.h>

void sgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n, float *a,
             const int *lda, float *s, float *u, const int *ldu, float *vt, const int *ldvt,
             float *work, const int *lwork, int *info);
void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda,
             float *w, float *work, const int *lwork, int *iwork, const int *liwork, int *info);
