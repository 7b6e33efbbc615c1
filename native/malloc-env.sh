# Sourced by ./ddist, ./build.sh and bench/run.sh. glibc serves every allocation above its mmap threshold
# (at most 32 MB) with a fresh mmap and unmaps it on free, so each large activation buffer costs new page
# faults and zeroing on every training step: 3-5x slower training on small machines. These keep freed memory
# in the heap for reuse instead. Both DDist and the PyTorch side of the benchmark run with them.
export MALLOC_MMAP_MAX_="${MALLOC_MMAP_MAX_:-0}"
export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-1073741824}"
export MALLOC_TOP_PAD_="${MALLOC_TOP_PAD_:-268435456}"
