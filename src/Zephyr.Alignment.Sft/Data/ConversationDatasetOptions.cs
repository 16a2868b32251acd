using Zephyr.Alignment.Data;

namespace Zephyr.Alignment.Sft.Data;

/// <summary>Options for <see cref="ConversationDataset"/>.</summary>
/// <remarks>
/// <see cref="HubDatasetOptions.Examples"/> picks conversational (<c>messages</c> lists) or plain
/// (<c>{prompt, completion}</c> strings); with <see cref="ExampleFormat.Auto"/>, the default, a <c>messages</c>
/// column or field means conversational, else a <c>completion</c> one means plain.
/// </remarks>
public sealed class ConversationDatasetOptions : HubDatasetOptions;
