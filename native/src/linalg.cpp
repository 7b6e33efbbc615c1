// Dense linear algebra beyond matmul: the symmetric eigendecomposition (used by ZCA whitening).
#include "common.h"

using namespace dd;

extern "C" {

int dd_linalg_eigh(dd_tensor a, dd_tensor* eigenvalues, dd_tensor* eigenvectors) {
  DD_TRY
  // Lower triangle, as torch.linalg.eigh's default UPLO="L"; eigenvalues come back ascending.
  auto result = at::linalg_eigh(T(a), "L");
  *eigenvalues = H(std::get<0>(result));
  *eigenvectors = H(std::get<1>(result));
  DD_CATCH
}

}  // extern "C"
