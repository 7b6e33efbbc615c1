// ddist.h must compile as C++20 too: the shim is built as C++20 against libtorch 2.7 and later, where new
// keywords (a parameter once named `requires`) would otherwise break only the GPU machine's build.
#include "ddist.h"
