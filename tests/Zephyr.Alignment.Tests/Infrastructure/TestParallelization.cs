// Test classes run one at a time. TorchSharp 0.107 passes some temporary Scalars to libtorch by raw handle (for
// example the alpha of `a + b`), so a garbage collection on another thread during that call can finalize the Scalar
// and free it mid-call ("Exception raised from toFloat at c10/core/Scalar.h"). The training loop collects each step's
// garbage (TrainingOptions.GarbageCollectionSteps), and with dozens of tiny training steps a second running beside a
// generation test, that race reproduced about once in three runs. A user's process with one thread doing torch work
// does not meet it; docs/troubleshooting.md describes the case of several.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
