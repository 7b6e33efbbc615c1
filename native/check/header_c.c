/* ddist.h is a C header: it must compile as C, so that any C caller (and any FFI generator) can use it. */
#include "ddist.h"
