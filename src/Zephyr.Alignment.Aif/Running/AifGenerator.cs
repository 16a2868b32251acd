using Microsoft.Extensions.AI;
using Zephyr.Alignment.Aif.Candidates;

namespace Zephyr.Alignment.Aif.Running;

/// <summary>A generator ready to run: its settings and the chat client that answers (local model or remote endpoint).</summary>
/// <param name="Settings">Name and sampling settings.</param>
/// <param name="Client">The model.</param>
public sealed record AifGenerator(GeneratorOptions Settings, IChatClient Client);
