// Starts GraphiQL on this server: queries and mutations over POST /graphql, subscriptions over
// /graphql/ws. Put `{"Authorization": "Bearer …"}` in the Headers tab: HTTP requests send it, and
// the websocket presents it in `connection_init` when the first subscription starts.
(function () {
  var endpoint = window.location.origin + "/graphql";
  var socketUrl = endpoint.replace(/^http/, "ws") + "/ws";
  function authorization() {
    try {
      var headers = JSON.parse(window.localStorage.getItem("graphiql:headers") || "{}");
      return headers.Authorization || headers.authorization;
    } catch (notJson) {
      return undefined;
    }
  }
  var socket = graphqlWs.createClient({
    url: socketUrl,
    lazy: true,
    connectionParams: function () {
      var token = authorization();
      return token ? { authorization: token } : {};
    },
  });
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: GraphiQL.createFetcher({ url: endpoint, wsClient: socket }),
      defaultEditorToolsVisibility: true,
    })
  );
})();
