namespace Zephyr.Alignment.Chat;

/// <summary>
/// Chat templates by name (case-insensitive): <c>zephyr</c>, <c>chatml</c>, <c>llama-2</c>,
/// <c>mistral-instruct</c> and <c>llama-3</c> out of the box, plus whatever you register.
/// </summary>
/// <remarks>
/// <para><see cref="Default"/> is the process-wide registry that options and the CLI resolve names against;
/// <c>new ChatTemplates()</c> gives an independent one, starting from the built-ins. Registering under an
/// existing name (built-in or not) replaces that template. Thread-safe.</para>
/// <example>
/// <code>
/// IChatTemplate zephyr = ChatTemplates.Default.Get("Zephyr");
/// ChatTemplates.Default.Register(new MyTemplate());               // under MyTemplate.Name
/// ChatTemplates.Default.Register("zephyr", new ZephyrChatTemplate(insertEmptySystemTurn: false));
/// </code>
/// </example>
/// </remarks>
public sealed class ChatTemplates
{
    private readonly Dictionary<string, IChatTemplate> _templates = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();

    /// <summary>Creates a registry holding the built-in templates.</summary>
    public ChatTemplates()
    {
        foreach (IChatTemplate template in CreateBuiltIns())
        {
            _templates[template.Name] = template;
        }
    }

    /// <summary>The process-wide registry.</summary>
    public static ChatTemplates Default { get; } = new();

    /// <summary>The names of the built-in templates, in a fixed order.</summary>
    public static IReadOnlyList<string> BuiltInNames { get; } =
    [
        ZephyrChatTemplate.TemplateName,
        ChatMlChatTemplate.TemplateName,
        Llama2ChatTemplate.TemplateName,
        MistralInstructChatTemplate.TemplateName,
        Llama3ChatTemplate.TemplateName,
    ];

    /// <summary>The registered names, sorted.</summary>
    public IReadOnlyList<string> Names
    {
        get
        {
            lock (_gate)
            {
                return _templates.Keys.Order(StringComparer.OrdinalIgnoreCase).ToArray();
            }
        }
    }

    /// <summary>Returns the template registered under <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="KeyNotFoundException">No template has that name; the message lists the known names.</exception>
    public IChatTemplate Get(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (TryGet(name, out IChatTemplate? template))
        {
            return template;
        }

        throw new KeyNotFoundException(
            $"No chat template is registered under '{name}'. Known templates: {string.Join(", ", Names)}.");
    }

    /// <summary>Looks up <paramref name="name"/> (case-insensitive).</summary>
    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IChatTemplate? template)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_gate)
        {
            return _templates.TryGetValue(name.Trim(), out template);
        }
    }

    /// <summary>Registers <paramref name="template"/> under its <see cref="IChatTemplate.Name"/>, replacing any template of that name.</summary>
    public void Register(IChatTemplate template)
    {
        ArgumentNullException.ThrowIfNull(template);
        Register(template.Name, template);
    }

    /// <summary>Registers <paramref name="template"/> under <paramref name="name"/>, replacing any template of that name.</summary>
    /// <remarks>The name need not equal <see cref="IChatTemplate.Name"/>, so one template can have aliases.</remarks>
    public void Register(string name, IChatTemplate template)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(template);
        lock (_gate)
        {
            _templates[name.Trim()] = template;
        }
    }

    /// <summary>Removes the template registered under <paramref name="name"/>.</summary>
    /// <returns><see langword="false"/> when none was registered.</returns>
    public bool Remove(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_gate)
        {
            return _templates.Remove(name.Trim());
        }
    }

    /// <summary>Fresh instances of the built-in templates, with their default settings.</summary>
    public static IReadOnlyList<IChatTemplate> CreateBuiltIns() =>
    [
        new ZephyrChatTemplate(),
        new ChatMlChatTemplate(),
        new Llama2ChatTemplate(),
        new MistralInstructChatTemplate(),
        new Llama3ChatTemplate(),
    ];
}
