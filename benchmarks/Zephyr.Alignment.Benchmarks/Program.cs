using BenchmarkDotNet.Running;

// Runs in-process (see each class's job), so the torch natives of this build are used and nothing is rebuilt.
// Examples:  dotnet run -c Release --project benchmarks/Zephyr.Alignment.Benchmarks -- --filter '*Tokenizer*'
//            dotnet run -c Release --project benchmarks/Zephyr.Alignment.Benchmarks -- --list flat
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
