using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.StaticAssets.Infrastructure;

namespace Rhizotomy.App.Ui;

/// <summary>
/// The pages link the wwwroot files by their fingerprinted names (<c>Assets["form.js"]</c> in a component): the
/// endpoints that render pages carry the static assets' <see cref="ResourceAssetCollection"/>, as
/// <c>MapRazorComponents().WithStaticAssets()</c> does for routed components.
/// </summary>
public static class StaticAssetLinks
{
    public static TBuilder WithStaticAssetLinks<TBuilder>(this TBuilder builder, IEndpointRouteBuilder endpoints) where TBuilder : IEndpointConventionBuilder
    {
        ResourceAssetCollection? collection = null;
        builder.Add(endpoint =>
        {
            collection ??= new ResourceAssetCollection([.. StaticAssetsEndpointDataSourceHelper.ResolveStaticAssetDescriptors(endpoints, null)
                .Select(d => new ResourceAsset(d.Route, [.. d.Properties.Select(p => new ResourceAssetProperty(p.Name, p.Value))]))]);
            endpoint.Metadata.Add(collection);
        });
        return builder;
    }
}
