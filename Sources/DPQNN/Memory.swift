#if canImport(Glibc)
  import Glibc

  @_silgen_name("mallopt")
  private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32

  /// Keeps glibc from returning large freed blocks to the kernel. A training step allocates tens of
  /// megabytes of activations and gradients and frees them again; served by fresh `mmap`s, every
  /// page of them is faulted in and zeroed anew each step, which cost a fifth of LeNet's step time.
  /// Blocks up to 32 MiB (glibc's ceiling) now come from the heap, which is trimmed only above 512 MiB.
  let tunedAllocator: Bool = {
    let mmapThreshold: Int32 = -3
    let trimThreshold: Int32 = -1 // M_MMAP_THRESHOLD, M_TRIM_THRESHOLD
    return mallopt(mmapThreshold, 32 << 20) == 1 && mallopt(trimThreshold, 512 << 20) == 1
  }()
#else
  let tunedAllocator = false
#endif
