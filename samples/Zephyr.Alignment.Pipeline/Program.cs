// mini-Zephyr: the Zephyr recipe (dSFT → AIF → dDPO) end to end, with the paper's ablation, on a built-in task world
// on a CPU; or, with --recipe, the real recipe on a Hugging Face checkpoint and local UltraChat/UltraFeedback files.
// Run with --help for the options.
return await Zephyr.Alignment.Pipeline.PipelineProgram.RunAsync(args);
