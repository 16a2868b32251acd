using Zephyr.Alignment.Chat;

namespace Zephyr.Alignment.Tests.Chat;

public sealed class ChatTemplatesTests
{
    private sealed class EchoTemplate(string name) : IChatTemplate
    {
        public string Name => name;

        public RenderedChat Render(IReadOnlyList<ConversationMessage> messages, ChatRenderOptions? options = null) =>
            new(string.Concat(messages.Select(m => m.Content)), []);
    }

    [Theory]
    [InlineData("zephyr", typeof(ZephyrChatTemplate))]
    [InlineData("ChatML", typeof(ChatMlChatTemplate))]
    [InlineData("LLAMA-2", typeof(Llama2ChatTemplate))]
    [InlineData("Mistral-Instruct", typeof(MistralInstructChatTemplate))]
    [InlineData(" llama-3 ", typeof(Llama3ChatTemplate))]
    public void Finds_built_ins_case_insensitively(string name, Type expected)
    {
        Assert.IsType(expected, new ChatTemplates().Get(name));
    }

    [Fact]
    public void Built_in_names_match_the_templates()
    {
        var registry = new ChatTemplates();

        Assert.Equal(["zephyr", "chatml", "llama-2", "mistral-instruct", "llama-3"], ChatTemplates.BuiltInNames);
        Assert.All(ChatTemplates.BuiltInNames, name => Assert.Equal(name, registry.Get(name).Name));
        Assert.Equal(ChatTemplates.BuiltInNames.Order(StringComparer.OrdinalIgnoreCase), registry.Names);
    }

    [Fact]
    public void Unknown_name_lists_the_known_names()
    {
        var error = Assert.Throws<KeyNotFoundException>(() => new ChatTemplates().Get("vicuna"));

        Assert.Contains("'vicuna'", error.Message);
        Assert.All(ChatTemplates.BuiltInNames, name => Assert.Contains(name, error.Message));
    }

    [Fact]
    public void Registering_adds_and_overrides_case_insensitively()
    {
        var registry = new ChatTemplates();
        var custom = new EchoTemplate("my-format");
        var zephyr = new EchoTemplate("zephyr");

        registry.Register(custom);
        registry.Register("ZEPHYR", zephyr);

        Assert.Same(custom, registry.Get("My-Format"));
        Assert.Same(zephyr, registry.Get("zephyr"));
        Assert.Contains("my-format", registry.Names);
        Assert.IsType<ZephyrChatTemplate>(new ChatTemplates().Get("zephyr"));
    }

    [Fact]
    public void Remove_and_try_get()
    {
        var registry = new ChatTemplates();

        Assert.True(registry.Remove("chatml"));
        Assert.False(registry.Remove("chatml"));
        Assert.False(registry.TryGet("chatml", out _));
        Assert.Throws<KeyNotFoundException>(() => registry.Get("chatml"));
    }

    [Fact]
    public void Default_registry_accepts_user_templates()
    {
        string name = "test-" + Guid.NewGuid().ToString("N");
        var custom = new EchoTemplate(name);
        try
        {
            ChatTemplates.Default.Register(custom);
            Assert.Same(custom, ChatTemplates.Default.Get(name));
        }
        finally
        {
            ChatTemplates.Default.Remove(name);
        }
    }

    [Fact]
    public void Guards_arguments()
    {
        var registry = new ChatTemplates();

        Assert.Throws<ArgumentException>(() => registry.Get(" "));
        Assert.Throws<ArgumentNullException>(() => registry.Register(null!));
        Assert.Throws<ArgumentException>(() => registry.Register("", new EchoTemplate("x")));
    }
}
