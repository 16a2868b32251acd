using Zephyr.Alignment.Data;

namespace Zephyr.Alignment.Dpo.Data;

/// <summary>Options for <see cref="PreferenceDataset"/>.</summary>
/// <remarks>
/// <see cref="HubDatasetOptions.Examples"/> picks conversational (<c>ultrafeedback_binarized</c>:
/// <c>chosen</c>/<c>rejected</c> message lists) or plain (<c>{prompt, chosen, rejected}</c> strings); with
/// <see cref="ExampleFormat.Auto"/>, the default, it is decided from the Parquet column types or the first JSON Lines
/// record.
/// </remarks>
public sealed class PreferenceDatasetOptions : HubDatasetOptions;
