using BenchmarkDotNet.Running;
using Zephyr.Alignment.Benchmarks.Lora;
using Zephyr.Alignment.Benchmarks.Training;

// 'step' runs the training-step benchmark (its own harness: whole optimizer steps through the library's loop, resident
// memory per step); everything else goes to BenchmarkDotNet, in-process (see each class's job), so the torch natives
// of this build are used and nothing is rebuilt.
// Examples:  dotnet run -c Release --project benchmarks/Zephyr.Alignment.Benchmarks -- step --mode dpo
//            dotnet run -c Release --project benchmarks/Zephyr.Alignment.Benchmarks -- --filter '*Tokenizer*'
//            dotnet run -c Release --project benchmarks/Zephyr.Alignment.Benchmarks -- --list flat
// 'lora-memory' compares the peak memory of full fine-tuning with LoRA (its own harness, one child process per run).
if (args.Length > 0 && args[0] is "lora-memory" or "lora-memory-one")
{
    return LoraMemoryBenchmark.Run(args[1..], one: args[0] == "lora-memory-one");
}

if (args.Length > 0 && args[0] == "step")
{
    return StepBenchmark.Run(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
